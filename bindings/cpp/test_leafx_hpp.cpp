// Test of leafx.hpp against the installed library: every wrapper type on real audio and the
// real tiny.en, the error paths (Expected, thrown leafx::Error with leafx's message), moves,
// and the bolt-on entry against hand-computed values. Run under ASan and valgrind by
// Tests/python/test_bindings_cpp.py to show that every handle and string is freed.
//
// usage: test_leafx_hpp MODEL_DIR WAV     (MODEL_DIR "-": skip what needs a model, for valgrind)
#include <leafx.hpp>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "check.h"  // Tests/c

namespace {

bool sums_to_one(const leafx::Attribution &a) {
    double sum = 0;
    for (float v : a.values) {
        if (!(v >= 0) || !std::isfinite(v)) return false;
        sum += v;
    }
    return std::fabs(sum - 1) < 1e-4;
}

template <class F>
leafx_status thrown_status(F &&f, std::string *message = nullptr) {
    try {
        f();
    } catch (const leafx::Error &e) {
        if (message) *message = e.what();
        return e.status();
    }
    return LEAFX_OK;
}

void test_errors_and_audio(const char *wav) {
    CHECK(leafx::abi_matches() && std::strcmp(leafx::version(), LEAFX_VERSION_STRING) == 0, "version %s", leafx::version());
    CHECK(leafx::version_at_least(0, 2, 0) &&
              leafx::version_at_least(LEAFX_VERSION_MAJOR, LEAFX_VERSION_MINOR, LEAFX_VERSION_PATCH) &&
              !leafx::version_at_least(LEAFX_VERSION_MAJOR, LEAFX_VERSION_MINOR, LEAFX_VERSION_PATCH + 1),
          "version_at_least %d", leafx_version_number());

    auto missing = leafx::Model::load("no-such-model-anywhere");
    CHECK(!missing && missing.error().status() == LEAFX_ERR_IO &&
              std::strstr(missing.error().what(), "no-such-model-anywhere") != nullptr,
          "Model::load of a missing name: %s", missing ? "loaded?" : missing.error().what());
    std::string message;
    leafx_status status = thrown_status([&] { missing.value(); }, &message);
    CHECK(status == LEAFX_ERR_IO && message == missing.error().what(), "value() throws the Error");

    auto no_audio = leafx::Audio::load("/nonexistent/x.wav");
    CHECK(!no_audio && no_audio.error().status() == LEAFX_ERR_IO, "Audio::load of a missing file: %s", no_audio.error().what());

    leafx::Audio audio = leafx::Audio::load(wav).value();
    leafx::span<const float> pcm = audio.samples();
    CHECK(audio.sample_rate_hz() == 16000 && pcm.size() == 176000, "jfk: %zu samples at %d Hz", pcm.size(), audio.sample_rate_hz());

    // Stereo at 8 kHz: one second of frames becomes 16000 mono samples.
    std::vector<float> stereo(2 * 8000, 0.25f);
    auto converted = leafx::Audio::from_pcm(stereo, 2, 8000);
    size_t n_converted = converted ? converted->samples().size() : 0;
    CHECK(converted && n_converted >= 15999 && n_converted <= 16001, "from_pcm: %zu samples", n_converted);
    auto ragged = leafx::Audio::from_pcm(leafx::span<const float>(stereo.data(), 7), 2, 8000);
    CHECK(!ragged && ragged.error().status() == LEAFX_ERR_INVALID_ARGUMENT && std::strstr(ragged.error().what(), "n_channels"),
          "7 values in 2 channels refused: %s", ragged ? "accepted?" : ragged.error().what());
    std::vector<float> bad(100, 0.0f);
    bad[42] = NAN;
    auto refused = leafx::Audio::from_pcm(bad, 1, 16000);
    CHECK(!refused && refused.error().status() == LEAFX_ERR_INVALID_ARGUMENT && std::strstr(refused.error().what(), "42"),
          "NaN sample refused: %s", refused ? "accepted?" : refused.error().what());

    leafx::Mel mel = leafx::Mel::compute(pcm).value();
    CHECK(mel.n_mels() == 80 && mel.n_frames() == 1101 && mel.data().size() == 80 * 1101, "log-mel %zu x %zu", mel.n_mels(),
          mel.n_frames());
    auto bad_mel = leafx::Mel::compute(pcm, leafx::MelParams().n_mels(64));
    CHECK(!bad_mel && std::strstr(bad_mel.error().what(), "n_mels"), "n_mels 64 refused: %s", bad_mel.error().what());
}

void test_model(const char *model_dir, const char *wav) {
    leafx::Model model = leafx::Model::load(model_dir).value();
    leafx_model_description info = model.info();
    CHECK(info.n_text_layer == 4 && std::strcmp(info.format, "ctranslate2") == 0, "model %s: %d decoder layers", info.name,
          info.n_text_layer);
    leafx::Audio audio = leafx::Audio::load(wav).value();
    leafx::span<const float> pcm = audio.samples();

    leafx::Result result = model.explain(pcm).value();
    size_t n_tokens = result.n_tokens(), n_words = result.n_words();
    bool ok = n_tokens >= 10 && n_words >= 5 && result.tokens().size() == n_tokens && result.words().size() == n_words;
    for (size_t i = 0; i < n_tokens; i++) {
        leafx::Attribution a = result.token_attribution(i);
        leafx_token t = result.token(i);
        ok = ok && sums_to_one(a) && a.first_frame == 0 && a.values.size() == 550 && a.frame_s == 0.02 && t.start_s < t.end_s;
    }
    for (size_t i = 0; i < n_words; i++) {
        leafx_word w = result.word(i);
        ok = ok && sums_to_one(result.word_attribution(i)) && w.text && *w.text && w.i_first_token + w.n_tokens <= n_tokens;
    }
    CHECK(ok, "explain: %zu tokens, %zu words, attributions sum to 1 over 550 frames: \"%s\"", n_tokens, n_words,
          std::string(result.text()).c_str());
    std::string json = result.to_json();
    CHECK(json.find("\"attribution\"") != std::string::npos && json.find("\"leafx\"") != std::string::npos, "to_json: %zu bytes",
          json.size());
    std::string message;
    leafx_status status = thrown_status([&] { result.token(n_tokens); }, &message);
    CHECK(status == LEAFX_ERR_INVALID_ARGUMENT && message.find("i_token") != std::string::npos, "token(n) throws: %s",
          message.c_str());

    // Params own their strings: a copy outlives the original.
    leafx::ExplainParams forced;
    {
        leafx::ExplainParams original;
        original.method(std::string("ra") + "a").text("ask not what your country can do for you");
        forced = original;
    }
    leafx::Result explained = model.explain(pcm, forced).value();
    CHECK(explained.n_tokens() == 9 && explained.text() == " ask not what your country can do for you" &&
              explained.to_json().find("\"raa\"") != std::string::npos,
          "forced raa: %zu tokens", explained.n_tokens());

    leafx::Result checked = model.explain(pcm, leafx::ExplainParams().text("ask not what your country can do for you").verify()).value();
    size_t n_checked = 0;
    for (const leafx_word &w : checked.words())
        n_checked += std::isfinite(w.silence_drop) && ((w.flags & LEAFX_FLAG_UNCONFIRMED) != 0) == (w.silence_drop < std::log(2.0f));
    CHECK(checked.n_words() == 9 && n_checked == 9 && std::isnan(explained.word(0).silence_drop),
          "verify: %zu of %zu words checked, unchecked without it", n_checked, checked.n_words());

    auto bad = model.explain(pcm, leafx::ExplainParams().method("magic"));
    CHECK(!bad && bad.error().status() == LEAFX_ERR_INVALID_ARGUMENT && std::strstr(bad.error().what(), "magic"),
          "unknown method: %s", bad ? "accepted?" : bad.error().what());
    auto bad_tau = model.explain(pcm, leafx::ExplainParams().tau(0));
    CHECK(!bad_tau && std::strstr(bad_tau.error().what(), "tau"), "tau 0: %s", bad_tau ? "accepted?" : bad_tau.error().what());

    leafx::Result transcript =
        model.transcribe(pcm, leafx::TranscribeParams().beam_size(1).temperatures({0.0f}).language("en").without_timestamps(true))
            .value();
    CHECK(transcript.text().find("fellow Americans") != std::string_view::npos && transcript.language() == "en" &&
              transcript.n_segments() == 1 && transcript.n_words() == 0,
          "transcribe: \"%s\"", std::string(transcript.text()).c_str());
    status = thrown_status([&] { transcript.token_attribution(0); });
    CHECK(status == LEAFX_ERR_MISUSE, "a plain transcription has no attributions (%s)", leafx_status_string(status));

    // Moves hand the handle over; the moved-from object frees nothing.
    std::vector<leafx::Result> kept;
    kept.push_back(std::move(explained));
    CHECK(explained.get() == nullptr && kept[0].n_tokens() == 9, "moved result");
    leafx::Model other = std::move(model);
    CHECK(model.get() == nullptr && other.info().n_vocab == 51864, "moved model");
}

// Each wrapper frees its handle exactly once: after the wrapper is gone, the library (whose
// handle registry knows every live handle) reports the raw handle as freed. Leak checkers
// cannot see this, since an unfreed handle stays reachable from that registry.
void test_handles_are_freed(const char *model_dir, const char *wav) {
    leafx_audio *raw_audio = nullptr;
    leafx_mel *raw_mel = nullptr;
    leafx_model *raw_model = nullptr;
    leafx_result *raw_result = nullptr, *raw_moved = nullptr;
    {
        leafx::Audio audio = leafx::Audio::load(wav).value();
        raw_audio = audio.get();
        leafx::Mel mel = leafx::Mel::compute(audio.samples()).value();
        raw_mel = mel.get();
        if (model_dir) {
            leafx::Model model = leafx::Model::load(model_dir).value();
            raw_model = model.get();
            leafx::Result result = model.explain(audio.samples(), leafx::ExplainParams().method("raa").text("ask not")).value();
            raw_result = result.get();
            leafx::Result moved = model.explain(audio.samples(), leafx::ExplainParams().text("my fellow Americans")).value();
            raw_moved = moved.get();
            leafx::Result target = std::move(moved);
            target = std::move(result);  // frees the first result's handle now, the second's at scope end
            CHECK(leafx_result_free(raw_moved) == LEAFX_ERR_MISUSE && target.get() == raw_result,
                  "move-assignment frees the overwritten result");
            size_t n = 0;
            CHECK(leafx_result_n_tokens(raw_result, &n) == LEAFX_OK && n == 2, "live result: %zu tokens", n);
        }
    }
    size_t n = 0, rows = 0, cols = 0;
    const float *data = nullptr;
    CHECK(leafx_audio_samples(raw_audio, &data, &n) == LEAFX_ERR_MISUSE, "Audio freed its handle");
    CHECK(leafx_mel_data(raw_mel, &data, &rows, &cols) == LEAFX_ERR_MISUSE, "Mel freed its handle");
    if (model_dir) {
        leafx_model_description info{};
        info.struct_size = sizeof info;
        CHECK(leafx_model_info(raw_model, &info) == LEAFX_ERR_MISUSE, "Model freed its handle");
        CHECK(leafx_result_n_tokens(raw_result, &n) == LEAFX_ERR_MISUSE, "Result freed its handle");
    }
}

// The bolt-on entry on the synthetic decoder-only attention of Tests/c/test_explain.c:
// 1 layer, 2 heads, 3 queries, 6 keys of which 2..4 are audio; raa = mean over heads of the
// audio columns, renormalised.
void test_bolt_on() {
    const int L = 1, H = 2, T = 3, K = 6;
    const float row[2][6] = {{0.10f, 0.10f, 0.50f, 0.20f, 0.05f, 0.05f}, {0.00f, 0.20f, 0.10f, 0.10f, 0.40f, 0.20f}};
    std::vector<float> cross(L * H * T * K);
    for (int h = 0; h < H; h++)
        for (int t = 0; t < T; t++)
            for (int k = 0; k < K; k++) cross[(h * T + t) * K + k] = row[h][k];
    size_t rows[1] = {2};
    leafx_attention_input input{};
    input.struct_size = sizeof input;
    input.n_layers = L;
    input.n_heads = H;
    input.n_queries = T;
    input.n_keys = K;
    input.cross_attention = cross.data();
    input.audio_begin = 2;
    input.audio_end = 5;
    input.rows = rows;
    input.n_rows = 1;
    input.frame_s = 0.04;
    input.first_frame = 100;
    leafx::Result result = leafx::explain_attention(input, leafx::ExplainParams().method("raa")).value();
    leafx::Attribution a = result.token_attribution(0);
    const double mean[3] = {0.30, 0.15, 0.225}, total = 0.675;
    bool ok = a.values.size() == 3 && a.first_frame == 100 && a.frame_s == 0.04;
    for (size_t i = 0; ok && i < 3; i++) ok = std::fabs(a.values[i] - mean[i] / total) < 1e-6;
    CHECK(ok, "explain_attention raa: %zu values from frame %zu", a.values.size(), a.first_frame);
    input.rows = nullptr;
    auto refused = leafx::explain_attention(input);
    CHECK(!refused && std::strstr(refused.error().what(), "rows"), "NULL rows: %s", refused ? "accepted?" : refused.error().what());
}

}  // namespace

int main(int argc, char **argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s MODEL_DIR|- WAV\n", argv[0]);
        return 2;
    }
    const char *model_dir = std::strcmp(argv[1], "-") == 0 ? nullptr : argv[1];
    test_errors_and_audio(argv[2]);
    if (model_dir) test_model(model_dir, argv[2]);
    test_handles_are_freed(model_dir, argv[2]);
    test_bolt_on();
    return check_summary();
}
