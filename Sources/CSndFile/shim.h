// Bridges <sndfile.h> into Swift as the module CSndFile.
#include <sndfile.h>
