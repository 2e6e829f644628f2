// Decoding one 100-record DescribeDBSnapshots page (the largest page RDS
// returns, with TagList on every record) into typed structs: the per-page
// cost of drsnap's observe step. Reports microseconds per page.
//
//   cmake -S . -B build-rds-rel -G Ninja -DCMAKE_BUILD_TYPE=Release
//   cmake --build build-rds-rel --target rds_decode_bench && build-rds-rel/bench/rds_decode_bench
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pugixml.hpp>
#include <sstream>
#include <string>

#include "aws/rds.h"

namespace {

// testdata/aws_responses/describe_db_snapshots_page1.xml, found from this
// source file's location (bench/ is beside testdata/).
const std::string& Page() {
  static const std::string* body = [] {
    std::filesystem::path path = std::filesystem::path(__FILE__).parent_path().parent_path() /
                                 "testdata" / "aws_responses" / "describe_db_snapshots_page1.xml";
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", path.c_str());
      std::exit(1);
    }
    std::ostringstream out;
    out << in.rdbuf();
    return new std::string(out.str());
  }();
  return *body;
}

// The full decode: XML parse + 100 typed DBSnapshot records with tags.
void BM_DecodeDescribeDBSnapshotsPage100(benchmark::State& state) {
  const std::string& body = Page();
  for (auto _ : state) {
    auto page = drsnap::aws::DecodeDescribeDBSnapshotsResponse(body);
    if (!page || page->items.size() != 100) {
      state.SkipWithError("decode failed");
      break;
    }
    benchmark::DoNotOptimize(page->items.data());
  }
  state.SetItemsProcessed(state.iterations() * 100);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_DecodeDescribeDBSnapshotsPage100)->Unit(benchmark::kMicrosecond);

// The XML parse alone, to show how the cost splits.
void BM_PugixmlParseOnly(benchmark::State& state) {
  const std::string& body = Page();
  for (auto _ : state) {
    pugi::xml_document doc;
    auto r = doc.load_buffer(body.data(), body.size());
    if (!r) {
      state.SkipWithError("parse failed");
      break;
    }
    benchmark::DoNotOptimize(doc.first_child());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(BM_PugixmlParseOnly)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
