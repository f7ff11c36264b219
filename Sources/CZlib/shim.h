// Bridges <zlib.h> into Swift as the module CZlib (the compression-ratio check of Whisper's
// temperature fallback).
#include <zlib.h>
