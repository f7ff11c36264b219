/* The README's example: decode an audio file and compute Whisper's log-mel features.

   cc features.c $(pkg-config --cflags --libs leafx) -o features
   ./features speech.wav */
#include <leafx.h>

#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s AUDIO\n", argv[0]);
        return 2;
    }
    leafx_audio *audio = NULL;
    leafx_mel *mel = NULL;
    const float *pcm, *features;
    size_t n_samples, n_mels, n_frames;

    if (leafx_audio_load(argv[1], NULL, &audio) != LEAFX_OK) {
        fprintf(stderr, "leafx: %s\n", leafx_last_error());
        return 1;
    }
    leafx_audio_samples(audio, &pcm, &n_samples);
    if (leafx_log_mel(pcm, n_samples, NULL, &mel) != LEAFX_OK) {
        fprintf(stderr, "leafx: %s\n", leafx_last_error());
        leafx_audio_free(audio);
        return 1;
    }
    leafx_mel_data(mel, &features, &n_mels, &n_frames);
    printf("%s: %zu samples (%.2f s) -> %zu x %zu log-mel, first value %.4f\n", argv[1], n_samples,
           n_samples / 16000.0, n_mels, n_frames, features[0]);
    leafx_mel_free(mel);
    leafx_audio_free(audio);
    return 0;
}
