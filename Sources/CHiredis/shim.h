// The system hiredis (Debian libhiredis-dev 0.14.1, built without TLS).
#include <hiredis/hiredis.h>
