// Bridges <soxr.h> into Swift as the module CSoxr.
#include <soxr.h>
