/* C driver of the foundation ABI: versions, status codes, every error path of the audio and
   log-mel calls, handle misuse, params struct sizes, and decoding/resampling figures.

   usage: test_abi DEV_WAV EXPECTED_SAMPLES SCRATCH_DIR */
#include <leafx.h>

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static char scratch[4096];

static const char *scratch_path(const char *name) {
    static char path[8192];
    snprintf(path, sizeof path, "%s/%s", scratch, name);
    return path;
}

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(2); }
    if (n) fwrite(data, 1, n, f);
    fclose(f);
}

static void put_u32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static void put_u16(unsigned char *p, uint16_t v) { p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8); }

/* Writes a 16-bit PCM WAV of `frames` frames, `channels` channels at `rate`, where channel c
   holds amplitude[c] * sin(2 pi freq t). */
static void write_sine_wav(const char *path, int rate, int channels, int frames, double freq,
                           const double *amplitude) {
    size_t data_bytes = (size_t)frames * channels * 2;
    unsigned char *buf = calloc(44 + data_bytes, 1);
    memcpy(buf, "RIFF", 4); put_u32(buf + 4, (uint32_t)(36 + data_bytes));
    memcpy(buf + 8, "WAVEfmt ", 8); put_u32(buf + 16, 16); put_u16(buf + 20, 1);
    put_u16(buf + 22, (uint16_t)channels); put_u32(buf + 24, (uint32_t)rate);
    put_u32(buf + 28, (uint32_t)(rate * channels * 2)); put_u16(buf + 32, (uint16_t)(channels * 2));
    put_u16(buf + 34, 16); memcpy(buf + 36, "data", 4); put_u32(buf + 40, (uint32_t)data_bytes);
    for (int i = 0; i < frames; i++)
        for (int c = 0; c < channels; c++) {
            double v = amplitude[c] * sin(2 * M_PI * freq * i / rate);
            put_u16(buf + 44 + ((size_t)i * channels + c) * 2, (uint16_t)(int16_t)lrint(v * 32767));
        }
    write_bytes(path, buf, 44 + data_bytes);
    free(buf);
}

/* Frequency from the mean spacing of upward zero crossings, skipping the edges. */
static double estimate_frequency(const float *x, size_t n, int rate) {
    double first = -1, last = -1;
    int crossings = 0;
    for (size_t i = n / 10; i + 1 < n - n / 10; i++)
        if (x[i] <= 0 && x[i + 1] > 0) {
            double t = i + x[i] / (x[i] - x[i + 1]);
            if (first < 0) first = t;
            last = t;
            crossings++;
        }
    return crossings > 1 ? (crossings - 1) * (double)rate / (last - first) : 0;
}

static double rms(const float *x, size_t n) {
    double s = 0;
    for (size_t i = n / 10; i < n - n / 10; i++) s += (double)x[i] * x[i];
    return sqrt(s / (n - 2 * (n / 10)));
}

static void test_versions(void) {
    CHECK(strcmp(leafx_version(), LEAFX_VERSION_STRING) == 0, "leafx_version() = %s", leafx_version());
    CHECK(leafx_version_number() == LEAFX_VERSION_NUMBER, "leafx_version_number() = %d", leafx_version_number());
    CHECK(leafx_abi_version() == LEAFX_ABI_VERSION, "leafx_abi_version() = %d", leafx_abi_version());
    CHECK(strcmp(leafx_status_string(LEAFX_OK), "ok") == 0, "status string of OK");
    CHECK(strcmp(leafx_status_string(LEAFX_ERR_FORMAT), "invalid file format") == 0, "status string of FORMAT");
    CHECK(strcmp(leafx_status_string(LEAFX_CANCELLED), "cancelled") == 0, "status string of CANCELLED");
    CHECK(strcmp(leafx_status_string((leafx_status)999), "unknown status") == 0, "unknown status");
    CHECK(strcmp(leafx_status_string((leafx_status)-1), "unknown status") == 0, "negative status");
}

static void test_audio_errors(void) {
    leafx_audio *audio = (leafx_audio *)0x1;
    CHECK_ERROR(leafx_audio_load(NULL, NULL, &audio), LEAFX_ERR_INVALID_ARGUMENT, "path");
    CHECK(audio == NULL, "out-parameter cleared on failure");
    CHECK_ERROR(leafx_audio_load("x.wav", NULL, NULL), LEAFX_ERR_INVALID_ARGUMENT, "out");
    CHECK_ERROR(leafx_audio_load(scratch_path("missing.wav"), NULL, &audio), LEAFX_ERR_IO, "missing.wav");
    CHECK_ERROR(leafx_audio_load(scratch, NULL, &audio), LEAFX_ERR_IO, "directory");

    const char *text = "this is not audio, only text\n";
    write_bytes(scratch_path("text.wav"), text, strlen(text));
    CHECK_ERROR(leafx_audio_load(scratch_path("text.wav"), NULL, &audio), LEAFX_ERR_FORMAT, "text.wav");
    write_bytes(scratch_path("empty.wav"), "", 0);
    CHECK_ERROR(leafx_audio_load(scratch_path("empty.wav"), NULL, &audio), LEAFX_ERR_FORMAT, "empty");
    /* A valid header with a data chunk of zero frames. */
    double amp = 0.5;
    write_sine_wav(scratch_path("noframes.wav"), 16000, 1, 0, 440, &amp);
    CHECK_ERROR(leafx_audio_load(scratch_path("noframes.wav"), NULL, &audio), LEAFX_ERR_FORMAT, "no audio");
    CHECK(audio == NULL, "no handle after failures");

    float pcm[4] = {0.f, 0.1f, NAN, 0.2f};
    CHECK_ERROR(leafx_audio_from_pcm(pcm, 4, 1, 16000, NULL, &audio), LEAFX_ERR_INVALID_ARGUMENT, "2");
    CHECK_ERROR(leafx_audio_from_pcm(NULL, 4, 1, 16000, NULL, &audio), LEAFX_ERR_INVALID_ARGUMENT, "samples");
    CHECK_ERROR(leafx_audio_from_pcm(pcm, 2, 0, 16000, NULL, &audio), LEAFX_ERR_INVALID_ARGUMENT, "n_channels");
    CHECK_ERROR(leafx_audio_from_pcm(pcm, 2, 1, 0, NULL, &audio), LEAFX_ERR_INVALID_ARGUMENT, "sample_rate_hz");
    CHECK_ERROR(leafx_audio_from_pcm(pcm, SIZE_MAX, 2, 16000, NULL, &audio), LEAFX_ERR_INVALID_ARGUMENT, "n_frames");
}

static void test_params(void) {
    leafx_audio_params ap;
    CHECK_ERROR(leafx_audio_params_init(&ap, 4), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");
    CHECK_ERROR(leafx_audio_params_init(NULL, sizeof ap), LEAFX_ERR_INVALID_ARGUMENT, "params");
    CHECK(LEAFX_AUDIO_PARAMS_INIT(&ap) == LEAFX_OK && ap.struct_size == sizeof ap &&
          ap.sample_rate_hz == 16000 && ap.channel == -1, "audio params defaults");
    CHECK(leafx_audio_params_validate(&ap) == LEAFX_OK, "default audio params validate");
    ap.sample_rate_hz = 0;
    CHECK_ERROR(leafx_audio_params_validate(&ap), LEAFX_ERR_INVALID_ARGUMENT, "sample_rate_hz");
    ap.sample_rate_hz = 16000;
    ap.channel = -7;
    CHECK_ERROR(leafx_audio_params_validate(&ap), LEAFX_ERR_INVALID_ARGUMENT, "channel");
    ap.channel = -1;
    ap.struct_size = 3;
    leafx_audio *audio = NULL;
    CHECK_ERROR(leafx_audio_load("whatever.wav", &ap, &audio), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");

    leafx_mel_params mp;
    CHECK_ERROR(leafx_mel_params_init(&mp, sizeof mp - 1), LEAFX_ERR_INVALID_ARGUMENT, "struct_size");
    CHECK(LEAFX_MEL_PARAMS_INIT(&mp) == LEAFX_OK && mp.n_mels == 80 && mp.padding_samples == 160,
          "mel params defaults");
    mp.n_mels = 64;
    CHECK_ERROR(leafx_mel_params_validate(&mp), LEAFX_ERR_INVALID_ARGUMENT, "n_mels");
    mp.n_mels = 80;
    mp.padding_samples = -1;
    CHECK_ERROR(leafx_mel_params_validate(&mp), LEAFX_ERR_INVALID_ARGUMENT, "padding_samples");

    /* A caller compiled against a newer header with an extra field: defaults are written
       into our part, the unknown tail is zeroed, and the struct is accepted. */
    struct { leafx_mel_params base; int32_t future_field; } newer;
    memset(&newer, 0xAB, sizeof newer);
    CHECK(leafx_mel_params_init(&newer.base, sizeof newer) == LEAFX_OK &&
          newer.base.struct_size == sizeof newer && newer.base.n_mels == 80 && newer.future_field == 0,
          "newer, larger params struct initialised");
    CHECK(leafx_mel_params_validate(&newer.base) == LEAFX_OK, "newer params struct validates");
    /* ...but a field this library does not know, once set, is refused rather than ignored:
       the caller asked for something this version cannot do. */
    newer.future_field = 3;
    CHECK_ERROR(leafx_mel_params_validate(&newer.base), LEAFX_ERR_UNSUPPORTED, "leafx_mel_params: the field at byte");
    leafx_mel *mel = NULL;
    const float silence[400] = {0};
    CHECK_ERROR(leafx_log_mel(silence, 400, &newer.base, &mel), LEAFX_ERR_UNSUPPORTED, "older than the header");
    CHECK(mel == NULL, "no mel from a refused params struct");
}

static void test_handle_misuse(void) {
    const float *samples = (const float *)0x1;
    size_t n = 7;
    int32_t rate = 5;
    CHECK_ERROR(leafx_audio_samples(NULL, &samples, &n), LEAFX_ERR_MISUSE, "NULL");
    CHECK(samples == NULL && n == 0, "accessor outputs cleared on failure");
    int not_a_handle = 42;
    CHECK_ERROR(leafx_audio_sample_rate_hz((leafx_audio *)&not_a_handle, &rate), LEAFX_ERR_MISUSE, "leafx_audio");
    CHECK(leafx_audio_free(NULL) == LEAFX_OK, "leafx_audio_free(NULL) is a no-op");
    CHECK(leafx_mel_free(NULL) == LEAFX_OK, "leafx_mel_free(NULL) is a no-op");
    CHECK_ERROR(leafx_audio_free((leafx_audio *)&not_a_handle), LEAFX_ERR_MISUSE, "leafx_audio");

    float pcm[1600] = {0};
    leafx_audio *audio = NULL;
    CHECK(leafx_audio_from_pcm(pcm, 1600, 1, 16000, NULL, &audio) == LEAFX_OK && audio, "audio from PCM");
    CHECK_ERROR(leafx_audio_samples(audio, NULL, &n), LEAFX_ERR_INVALID_ARGUMENT, "samples");
    /* A handle of the wrong kind. */
    const float *data; size_t n_mels, n_frames;
    CHECK_ERROR(leafx_mel_data((leafx_mel *)audio, &data, &n_mels, &n_frames), LEAFX_ERR_MISUSE, "leafx_mel");
    CHECK(leafx_audio_free(audio) == LEAFX_OK, "free");
    CHECK_ERROR(leafx_audio_samples(audio, &samples, &n), LEAFX_ERR_MISUSE, "freed");
    CHECK_ERROR(leafx_audio_free(audio), LEAFX_ERR_MISUSE, "double free");

    /* Successful calls do not clear the last error. */
    const char *before = leafx_last_error();
    char copy[512];
    snprintf(copy, sizeof copy, "%s", before);
    CHECK(strcmp(leafx_version(), LEAFX_VERSION_STRING) == 0 && strcmp(leafx_last_error(), copy) == 0,
          "last error survives successful calls");
}

static void *failing_thread(void *arg) {
    (void)arg;
    leafx_audio *audio = NULL;
    leafx_audio_load("/nonexistent/thread-only.wav", NULL, &audio);
    return strstr(leafx_last_error(), "thread-only") ? (void *)1 : NULL;
}

static void test_thread_local_error(void) {
    leafx_audio *audio = NULL;
    leafx_audio_load("/nonexistent/main-thread.wav", NULL, &audio);
    pthread_t thread;
    void *seen = NULL;
    pthread_create(&thread, NULL, failing_thread, NULL);
    pthread_join(thread, &seen);
    CHECK(seen != NULL && strstr(leafx_last_error(), "main-thread") != NULL,
          "leafx_last_error is per thread: %s", leafx_last_error());
}

static void test_dev_wav(const char *path, size_t expected) {
    leafx_audio *audio = NULL;
    const float *samples = NULL;
    size_t n = 0;
    int32_t rate = 0, source_rate = 0, channels = 0;
    CHECK(leafx_audio_load(path, NULL, &audio) == LEAFX_OK, "load %s [%s]", path, leafx_last_error());
    CHECK(leafx_audio_samples(audio, &samples, &n) == LEAFX_OK && n == expected,
          "dev WAV has exactly %zu samples (got %zu)", expected, n);
    CHECK(leafx_audio_sample_rate_hz(audio, &rate) == LEAFX_OK && rate == 16000, "rate %d", rate);
    CHECK(leafx_audio_source_format(audio, &source_rate, &channels) == LEAFX_OK &&
          source_rate == 16000 && channels == 1, "source %d Hz, %d channel(s)", source_rate, channels);

    leafx_mel *mel = NULL;
    const float *data = NULL;
    size_t n_mels = 0, n_frames = 0;
    CHECK(leafx_log_mel(samples, n, NULL, &mel) == LEAFX_OK, "log-mel of the dev WAV");
    CHECK(leafx_mel_data(mel, &data, &n_mels, &n_frames) == LEAFX_OK && n_mels == 80 &&
          n_frames == (n + 160) / 160, "log-mel shape %zu x %zu", n_mels, n_frames);
    float lo = 1e9f, hi = -1e9f;
    for (size_t i = 0; i < n_mels * n_frames; i++) { lo = fminf(lo, data[i]); hi = fmaxf(hi, data[i]); }
    CHECK(hi - lo <= 2.0f + 1e-6f && hi > lo, "log-mel dynamic range is 8 decades / 4 = 2 (%.4f)", hi - lo);
    leafx_mel_free(mel);

    leafx_mel_params mp;
    LEAFX_MEL_PARAMS_INIT(&mp);
    mp.n_mels = 128;
    mp.padding_samples = 480000;
    CHECK(leafx_log_mel(samples, n, &mp, &mel) == LEAFX_OK &&
          leafx_mel_data(mel, &data, &n_mels, &n_frames) == LEAFX_OK && n_mels == 128 &&
          n_frames == (n + 480000) / 160, "128 bins, openai padding: %zu x %zu", n_mels, n_frames);
    leafx_mel_free(mel);

    CHECK_ERROR(leafx_log_mel(NULL, 10, NULL, &mel), LEAFX_ERR_INVALID_ARGUMENT, "pcm");
    CHECK_ERROR(leafx_log_mel(samples, n, NULL, NULL), LEAFX_ERR_INVALID_ARGUMENT, "out");
    CHECK_ERROR(leafx_log_mel(samples, SIZE_MAX / 2, NULL, &mel), LEAFX_ERR_INVALID_ARGUMENT, "n_samples");
    CHECK_ERROR(leafx_log_mel(samples, SIZE_MAX, NULL, &mel), LEAFX_ERR_INVALID_ARGUMENT, "n_samples");
    CHECK(leafx_log_mel(NULL, 0, NULL, &mel) == LEAFX_OK && leafx_mel_data(mel, &data, &n_mels, &n_frames) == LEAFX_OK &&
          n_frames == 1, "0 samples give one frame of padding");
    leafx_mel_free(mel);
    leafx_audio_free(audio);
}

static void test_resampling(void) {
    const int rate = 44100, frames = 44100;
    const double freq = 440.0, amplitudes[2] = {0.5, 0.5};
    write_sine_wav(scratch_path("sine44k.wav"), rate, 2, frames, freq, amplitudes);
    leafx_audio *audio = NULL;
    const float *x = NULL;
    size_t n = 0;
    int32_t source_rate = 0, channels = 0;
    CHECK(leafx_audio_load(scratch_path("sine44k.wav"), NULL, &audio) == LEAFX_OK, "load 44.1 kHz stereo");
    CHECK(leafx_audio_samples(audio, &x, &n) == LEAFX_OK && n == 16000,
          "1 s at 44.1 kHz becomes 16000 samples (got %zu)", n);
    CHECK(leafx_audio_source_format(audio, &source_rate, &channels) == LEAFX_OK && source_rate == 44100 &&
          channels == 2, "source format %d Hz x %d", source_rate, channels);
    double f = estimate_frequency(x, n, 16000);
    CHECK(fabs(f - freq) < 0.5, "frequency preserved: %.3f Hz", f);
    double level = rms(x, n);
    CHECK(fabs(level - 0.5 / sqrt(2.0)) < 0.005, "level preserved by the downmix: rms %.4f", level);
    leafx_audio_free(audio);

    /* Opposite channels cancel in the downmix; picking channel 1 keeps it. */
    const double opposite[2] = {0.5, -0.5};
    write_sine_wav(scratch_path("opposite.wav"), rate, 2, frames, freq, opposite);
    CHECK(leafx_audio_load(scratch_path("opposite.wav"), NULL, &audio) == LEAFX_OK &&
          leafx_audio_samples(audio, &x, &n) == LEAFX_OK && rms(x, n) < 1e-3, "downmix averages channels");
    leafx_audio_free(audio);
    leafx_audio_params ap;
    LEAFX_AUDIO_PARAMS_INIT(&ap);
    ap.channel = 1;
    CHECK(leafx_audio_load(scratch_path("opposite.wav"), &ap, &audio) == LEAFX_OK &&
          leafx_audio_samples(audio, &x, &n) == LEAFX_OK && fabs(rms(x, n) - 0.5 / sqrt(2.0)) < 0.005,
          "channel 1 picked");
    leafx_audio_free(audio);
    ap.channel = 2;
    CHECK_ERROR(leafx_audio_load(scratch_path("opposite.wav"), &ap, &audio), LEAFX_ERR_INVALID_ARGUMENT, "channel");

    /* In-memory PCM takes the same path: 8 kHz mono upsampled. */
    float *pcm = malloc(8000 * sizeof *pcm);
    for (int i = 0; i < 8000; i++) pcm[i] = (float)(0.25 * sin(2 * M_PI * 300.0 * i / 8000));
    CHECK(leafx_audio_from_pcm(pcm, 8000, 1, 8000, NULL, &audio) == LEAFX_OK &&
          leafx_audio_samples(audio, &x, &n) == LEAFX_OK && n == 16000 &&
          fabs(estimate_frequency(x, n, 16000) - 300.0) < 0.5, "8 kHz PCM upsampled to 16 kHz");
    leafx_audio_free(audio);
    free(pcm);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s DEV_WAV EXPECTED_SAMPLES SCRATCH_DIR\n", argv[0]);
        return 2;
    }
    snprintf(scratch, sizeof scratch, "%s", argv[3]);
    test_versions();
    test_audio_errors();
    test_params();
    test_handle_misuse();
    test_thread_local_error();
    test_dev_wav(argv[1], (size_t)strtoull(argv[2], NULL, 10));
    test_resampling();
    return check_summary();
}
