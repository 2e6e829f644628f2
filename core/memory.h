// Hints to the kernel about large blocks of memory.
//
// Why: a plan for a large estate writes a few hundred megabytes of memory
// that was never touched before (the actions of a plan, mostly), and each
// 4 KB page costs one page fault on first touch: on virtual machines whose
// memory is paged by the host, 10-20 us each, more than the planning itself.
// Transparent huge pages (2 MB) need 512 times fewer faults.
//
// Thread safety: any thread; the hints change no contents.
#pragma once

#include <cstddef>

namespace drsnap {

// Asks for transparent huge pages for the 2 MB-aligned part of
// [data, data + bytes), before it is first written. A hint: does nothing
// where the kernel has no THP or it is disabled, and for blocks under 4 MB.
void AdviseHugePages(const void* data, std::size_t bytes);

}  // namespace drsnap
