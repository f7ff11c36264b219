// Bridges <cblas.h> into Swift as the module CBLAS.
#include <cblas.h>
