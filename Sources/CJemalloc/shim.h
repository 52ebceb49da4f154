// jemalloc 5.3 from Debian's libjemalloc-dev: built without the je_ prefix, so `mallctl` is the
// entry point, and linking it makes it the allocator of the whole executable.
#include <jemalloc/jemalloc.h>
