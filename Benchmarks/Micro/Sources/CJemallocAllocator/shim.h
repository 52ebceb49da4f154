// jemalloc 5.3 from Debian's libjemalloc-dev (no je_ prefix): linked into every suite, it is the
// allocator the benchmarks measure with, as it is the lovage executable's (Sources/MallocGate).
#include <jemalloc/jemalloc.h>
