/* Which stretch of audio made Whisper write each word: leafx_explain on a file, then one line
   per word with the smallest span holding half of its attribution and its heaviest frame.

   cc explain.c $(pkg-config --cflags --libs leafx) -o explain
   ./explain speech.wav [MODEL [METHOD]]      (MODEL: a path or a name such as tiny.en) */
#include <leafx.h>

#include <stdio.h>

static int fail(const char *what) {
    fprintf(stderr, "explain: %s: %s\n", what, leafx_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s AUDIO [MODEL [METHOD]]\n", argv[0]);
        return 2;
    }
    const char *model_name = argc > 2 ? argv[2] : "tiny.en";
    leafx_model *model = NULL;
    leafx_audio *audio = NULL;
    leafx_result *result = NULL;
    int status = 1;

    if (leafx_model_load(model_name, NULL, &model) != LEAFX_OK) return fail("loading the model");
    if (leafx_audio_load(argv[1], NULL, &audio) != LEAFX_OK) {
        status = fail("loading the audio");
        goto done;
    }
    const float *pcm;
    size_t n_samples;
    leafx_audio_samples(audio, &pcm, &n_samples); /* 16 kHz mono */

    leafx_explain_params params;
    LEAFX_EXPLAIN_PARAMS_INIT(&params);
    if (argc > 3) params.method = argv[3];
    if (leafx_explain(model, pcm, n_samples, &params, &result) != LEAFX_OK) {
        status = fail("explaining");
        goto done;
    }

    const char *text;
    size_t n_words;
    leafx_result_text(result, &text);
    leafx_result_n_words(result, &n_words);
    printf("%s\n", text);
    for (size_t i = 0; i < n_words; i++) {
        leafx_word word;
        word.struct_size = sizeof word; /* output structs are size-versioned too */
        const float *values;
        size_t n_frames, first_frame;
        double frame_s;
        if (leafx_result_word(result, i, &word) != LEAFX_OK ||
            leafx_result_word_attribution(result, i, &values, &n_frames, &first_frame, &frame_s) != LEAFX_OK) {
            status = fail("reading a word");
            goto done;
        }
        size_t heaviest = 0;
        for (size_t f = 1; f < n_frames; f++)
            if (values[f] > values[heaviest]) heaviest = f;
        printf("%-16s %7.3f %7.3f  peak %7.3f s (%.0f%% of the mass)%s\n", word.text, word.start_s, word.end_s,
               word.peak_s, 100.0 * values[heaviest], word.flags ? "  [flagged]" : "");
        (void)first_frame;
        (void)frame_s;
    }
    status = 0;

done:
    leafx_result_free(result);
    leafx_audio_free(audio);
    leafx_model_free(model);
    return status;
}
