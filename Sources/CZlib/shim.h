// zlib from Debian's zlib1g-dev: gzip members for `lovage record`'s recording file.
#include <zlib.h>
