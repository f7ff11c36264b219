/* Calls every function declared in leafx.h once, so that the header, compiled with
   -Wall -Wextra -Werror -pedantic, is checked against real call sites and every exported
   symbol resolves at link time. Tests/python/test_install.py checks that every prototype of
   the header appears here. Bad arguments are used on purpose: each call must return a status,
   never crash. */
#include <leafx.h>

#include <stdio.h>

int main(void) {
    int failures = 0;
    const float *data = NULL;
    size_t n = 0, n_mels = 0, n_frames = 0;
    int32_t rate = 0, channels = 0;
    float pcm[320] = {0};

    printf("leafx %s (%d), ABI %d\n", leafx_version(), leafx_version_number(), leafx_abi_version());
    printf("%s / %s\n", leafx_status_string(LEAFX_ERR_IO), leafx_last_error());

    leafx_audio_params ap;
    failures += leafx_audio_params_init(&ap, sizeof ap) != LEAFX_OK;
    failures += leafx_audio_params_validate(&ap) != LEAFX_OK;
    leafx_audio *audio = NULL;
    failures += leafx_audio_load("/nonexistent.wav", &ap, &audio) != LEAFX_ERR_IO;
    failures += leafx_audio_from_pcm(pcm, 320, 1, 16000, &ap, &audio) != LEAFX_OK;
    failures += leafx_audio_samples(audio, &data, &n) != LEAFX_OK || n != 320;
    failures += leafx_audio_sample_rate_hz(audio, &rate) != LEAFX_OK || rate != 16000;
    failures += leafx_audio_source_format(audio, &rate, &channels) != LEAFX_OK || channels != 1;

    leafx_mel_params mp;
    failures += leafx_mel_params_init(&mp, sizeof mp) != LEAFX_OK;
    failures += leafx_mel_params_validate(&mp) != LEAFX_OK;
    leafx_mel *mel = NULL;
    failures += leafx_log_mel(data, n, &mp, &mel) != LEAFX_OK;
    failures += leafx_mel_data(mel, &data, &n_mels, &n_frames) != LEAFX_OK || n_frames != 3;
    failures += leafx_mel_free(mel) != LEAFX_OK;
    failures += leafx_audio_free(audio) != LEAFX_OK;

    /* Models and transcription: a missing model gives LEAFX_ERR_IO and every accessor of the
       NULL handles answers LEAFX_ERR_MISUSE. */
    leafx_model_params mop;
    failures += leafx_model_params_init(&mop, sizeof mop) != LEAFX_OK;
    failures += leafx_model_params_validate(&mop) != LEAFX_OK;
    leafx_model *model = NULL;
    failures += leafx_model_load("/nonexistent/model", &mop, &model) != LEAFX_ERR_IO;
    leafx_model_description info;
    info.struct_size = sizeof info;
    failures += leafx_model_info(model, &info) != LEAFX_ERR_MISUSE;
    leafx_transcribe_params tp;
    failures += leafx_transcribe_params_init(&tp, sizeof tp) != LEAFX_OK;
    failures += leafx_transcribe_params_validate(&tp) != LEAFX_OK;
    leafx_result *result = NULL;
    failures += leafx_transcribe(model, pcm, 320, &tp, &result) != LEAFX_ERR_MISUSE;
    const char *text = NULL;
    float probability = 0;
    failures += leafx_result_text(result, &text) != LEAFX_ERR_MISUSE;
    failures += leafx_result_language(result, &text, &probability) != LEAFX_ERR_MISUSE;
    failures += leafx_result_n_segments(result, &n) != LEAFX_ERR_MISUSE;
    leafx_segment segment;
    segment.struct_size = sizeof segment;
    failures += leafx_result_segment(result, 0, &segment) != LEAFX_ERR_MISUSE;
    failures += leafx_result_n_tokens(result, &n) != LEAFX_ERR_MISUSE;
    leafx_token token;
    token.struct_size = sizeof token;
    failures += leafx_result_token(result, 0, &token) != LEAFX_ERR_MISUSE;
    char *json = NULL;
    failures += leafx_result_to_json(result, &json) != LEAFX_ERR_MISUSE;
    failures += leafx_string_free(json) != LEAFX_OK;
    leafx_explain_params ep;
    failures += leafx_explain_params_init(&ep, sizeof ep) != LEAFX_OK;
    failures += leafx_explain_params_validate(&ep) != LEAFX_OK;
    failures += leafx_explain(model, pcm, 320, &ep, &result) != LEAFX_ERR_MISUSE;
    const float *values = NULL;
    size_t first_frame = 0;
    double frame_s = 0;
    failures += leafx_result_token_attribution(result, 0, &values, &n_frames, &first_frame, &frame_s) != LEAFX_ERR_MISUSE;
    failures += leafx_result_n_words(result, &n) != LEAFX_ERR_MISUSE;
    leafx_word word;
    word.struct_size = sizeof word;
    failures += leafx_result_word(result, 0, &word) != LEAFX_ERR_MISUSE;
    failures += leafx_result_word_attribution(result, 0, &values, &n_frames, &first_frame, &frame_s) != LEAFX_ERR_MISUSE;
    failures += leafx_result_n_timed_words(result, &n) != LEAFX_ERR_MISUSE;
    leafx_timed_word timed;
    timed.struct_size = sizeof timed;
    failures += leafx_result_timed_word(result, 0, &timed) != LEAFX_ERR_MISUSE;
    char *html = NULL;
    failures += leafx_result_to_html(result, pcm, 320, "audio.wav", &html) != LEAFX_ERR_MISUSE || html != NULL;
    failures += leafx_string_free(html) != LEAFX_OK;

    /* The bolt-on entry on a 1-layer, 1-head, 1-query, 2-key attention. */
    float attention[2] = {0.25f, 0.75f};
    size_t rows[1] = {0};
    leafx_attention_input input = {0};
    input.struct_size = sizeof input;
    input.n_layers = 1;
    input.n_heads = 1;
    input.n_queries = 1;
    input.n_keys = 2;
    input.cross_attention = attention;
    input.rows = rows;
    input.n_rows = 1;
    input.frame_s = 0.02;
    ep.method = "raa";
    failures += leafx_explain_attention(&input, &ep, &result) != LEAFX_OK;
    failures += leafx_result_token_attribution(result, 0, &values, &n_frames, &first_frame, &frame_s) != LEAFX_OK ||
                n_frames != 2 || values[1] != 0.75f;
    failures += leafx_result_free(result) != LEAFX_OK;
    failures += leafx_model_free(model) != LEAFX_OK;

    printf("%d failure(s)\n", failures);
    return failures != 0;
}
