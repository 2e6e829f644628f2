// drsnap: the command-line entry point. Thin: parses the command name and
// hands over to the command's own file in cli/.
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0) {
    std::puts("usage: drsnap <plan|apply|run|status|verify|lambda|demo> [options]");
    return argc < 2 ? 2 : 0;
  }
  std::fprintf(stderr, "drsnap: unknown command '%s'\n", argv[1]);
  return 2;
}
