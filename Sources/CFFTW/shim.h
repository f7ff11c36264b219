// Bridges <fftw3.h> into Swift as the module CFFTW.
#include <fftw3.h>
