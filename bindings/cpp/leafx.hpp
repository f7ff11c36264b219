// leafx.hpp: a header-only C++17 wrapper over the C ABI of leafx.h.
//
//     #include <leafx.hpp>
//
//     leafx::Model model = leafx::Model::load("tiny.en").value();      // throws leafx::Error
//     leafx::Audio audio = leafx::Audio::load("jfk.wav").value();
//     leafx::Result result = model.explain(audio.samples(), leafx::ExplainParams().method("raa")).value();
//     for (size_t i = 0; i < result.n_words(); i++) {
//         leafx_word word = result.word(i);
//         leafx::Attribution a = result.word_attribution(i);         // a.values: span over 20 ms frames
//         std::printf("%s %.2f-%.2f s\n", word.text, word.start_s, word.end_s);
//     }
//
// Ownership: every handle (Audio, Mel, Model, Result) is a move-only std::unique_ptr with the
// matching leafx_*_free as deleter, so each is freed exactly once. Spans and `const char *`
// returned by accessors borrow from their handle and live as long as it does.
//
// Errors: functions that make a handle (load, from_pcm, log_mel, transcribe, explain,
// explain_attention) return leafx::Expected<T>, a value or a leafx::Error (std::expected
// style, no exception thrown); `.value()` throws the Error. Accessors of a live handle throw
// leafx::Error on failure (an index out of range, the attributions of a plain transcription).
// leafx::Error carries the leafx_status and leafx_last_error()'s message.
//
// Params: ExplainParams, TranscribeParams, ... own their strings and arrays and hand the
// library a struct filled by leafx_*_params_init (the size-versioned protocol of leafx.h).
//
// Build: c++ -std=c++17 app.cpp -I<dir of leafx.hpp> $(pkg-config --cflags --libs leafx)
#ifndef LEAFX_HPP
#define LEAFX_HPP

#include <leafx.h>

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#if __cplusplus >= 202002L && __has_include(<span>)
#include <span>
#endif

namespace leafx {

#if defined(__cpp_lib_span)
/// A borrowed view of contiguous values (std::span under C++20).
template <class T>
using span = std::span<T>;
#else
/// A borrowed view of contiguous values (the subset of std::span leafx needs, for C++17).
template <class T>
class span {
public:
    constexpr span() noexcept = default;
    constexpr span(T *data, std::size_t size) noexcept : data_(data), size_(size) {}
    template <class Container, class = decltype(std::declval<Container &>().data())>
    constexpr span(Container &c) noexcept : data_(c.data()), size_(c.size()) {}
    constexpr T *data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr T &operator[](std::size_t i) const noexcept { return data_[i]; }
    constexpr T *begin() const noexcept { return data_; }
    constexpr T *end() const noexcept { return data_ + size_; }

private:
    T *data_ = nullptr;
    std::size_t size_ = 0;
};
#endif

/// A failed leafx call: its status and leafx's message (naming the file, argument or offset).
class Error : public std::runtime_error {
public:
    Error(leafx_status status, const std::string &message) : std::runtime_error(message), status_(status) {}
    leafx_status status() const noexcept { return status_; }

private:
    leafx_status status_;
};

/// A value or the Error that prevented it (std::expected's shape, without exceptions until
/// value() is called on an error).
template <class T>
class Expected {
public:
    Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    Expected(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

    bool has_value() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return has_value(); }

    /// The value; throws the Error if there is none.
    T &value() & {
        if (!has_value()) throw std::get<1>(state_);
        return std::get<0>(state_);
    }
    const T &value() const & {
        if (!has_value()) throw std::get<1>(state_);
        return std::get<0>(state_);
    }
    T &&value() && {
        if (!has_value()) throw std::get<1>(state_);
        return std::get<0>(std::move(state_));
    }
    T &operator*() & { return value(); }
    const T &operator*() const & { return value(); }
    T &&operator*() && { return std::move(*this).value(); }
    T *operator->() { return &value(); }
    const T *operator->() const { return &value(); }

    /// The error; only meaningful when !has_value().
    const Error &error() const { return std::get<1>(state_); }

private:
    std::variant<T, Error> state_;
};

namespace detail {

inline Error last_error(leafx_status status) {
    const char *message = leafx_last_error();
    return Error(status, message && *message ? message : leafx_status_string(status));
}

inline void check(leafx_status status) {
    if (status != LEAFX_OK) throw last_error(status);
}

struct AudioDeleter {
    void operator()(leafx_audio *p) const noexcept { leafx_audio_free(p); }
};
struct MelDeleter {
    void operator()(leafx_mel *p) const noexcept { leafx_mel_free(p); }
};
struct ModelDeleter {
    void operator()(leafx_model *p) const noexcept { leafx_model_free(p); }
};
struct ResultDeleter {
    void operator()(leafx_result *p) const noexcept { leafx_result_free(p); }
};
struct StringDeleter {
    void operator()(char *p) const noexcept { leafx_string_free(p); }
};

inline const char *c_str_or_null(const std::optional<std::string> &s) { return s ? s->c_str() : nullptr; }

}  // namespace detail

/// The library's version ("0.3.0").
inline const char *version() noexcept { return leafx_version(); }

/// True when the loaded library has the ABI this header was compiled against.
inline bool abi_matches() noexcept { return leafx_abi_version() == LEAFX_ABI_VERSION; }

/// True when the loaded library is version major.minor.patch or newer (fields marked
/// "Since" a later version are ignored by an older library).
inline bool version_at_least(int major, int minor, int patch) noexcept {
    return leafx_version_number() >= major * 10000 + minor * 100 + patch;
}

// ---------------------------------------------------------------------------- params

/// leafx_audio_params with defaults (16 kHz, channels averaged).
class AudioParams {
public:
    AudioParams() { detail::check(LEAFX_AUDIO_PARAMS_INIT(&p_)); }
    AudioParams &sample_rate_hz(int32_t hz) { p_.sample_rate_hz = hz; return *this; }
    AudioParams &channel(int32_t c) { p_.channel = c; return *this; }
    const leafx_audio_params *get() const noexcept { return &p_; }

private:
    leafx_audio_params p_;
};

/// leafx_mel_params with defaults (80 mels, 160 samples of padding).
class MelParams {
public:
    MelParams() { detail::check(LEAFX_MEL_PARAMS_INIT(&p_)); }
    MelParams &n_mels(int32_t n) { p_.n_mels = n; return *this; }
    MelParams &padding_samples(int32_t n) { p_.padding_samples = n; return *this; }
    const leafx_mel_params *get() const noexcept { return &p_; }

private:
    leafx_mel_params p_;
};

/// leafx_model_params with defaults (OpenBLAS's threads, format detected).
class ModelParams {
public:
    ModelParams() { detail::check(LEAFX_MODEL_PARAMS_INIT(&p_)); }
    ModelParams &n_threads(int32_t n) { p_.n_threads = n; return *this; }
    ModelParams &format(leafx_model_format f) { p_.format = f; return *this; }
    const leafx_model_params *get() const noexcept { return &p_; }

private:
    leafx_model_params p_;
};

/// leafx_transcribe_params with faster-whisper's defaults; owns its strings and temperatures.
/// Other fields: raw().
class TranscribeParams {
public:
    TranscribeParams() { detail::check(LEAFX_TRANSCRIBE_PARAMS_INIT(&p_)); }
    TranscribeParams &language(std::string code) { language_ = std::move(code); return *this; }
    TranscribeParams &task(leafx_task t) { p_.task = t; return *this; }
    TranscribeParams &beam_size(int32_t n) { p_.beam_size = n; return *this; }
    TranscribeParams &temperatures(std::vector<float> t) { temperatures_ = std::move(t); return *this; }
    TranscribeParams &without_timestamps(bool on) { p_.without_timestamps = on ? 1 : 0; return *this; }
    TranscribeParams &initial_prompt(std::string text) { prompt_ = std::move(text); return *this; }
    leafx_transcribe_params &raw() noexcept { return p_; }

    /// The struct, its pointers aimed at this object's strings (valid while it lives
    /// unchanged).
    const leafx_transcribe_params *get() const noexcept {
        p_.language = detail::c_str_or_null(language_);
        p_.initial_prompt = detail::c_str_or_null(prompt_);
        if (temperatures_) {
            p_.temperatures = temperatures_->data();
            p_.n_temperatures = temperatures_->size();
        }
        return &p_;
    }

private:
    mutable leafx_transcribe_params p_;
    std::optional<std::string> language_, prompt_;
    std::optional<std::vector<float>> temperatures_;
};

/// leafx_explain_params with defaults (method "leafx", tau 1, the method's default depth, greedy decoding);
/// owns its strings and the nested decoding params. Other fields: raw().
class ExplainParams {
public:
    ExplainParams() { detail::check(LEAFX_EXPLAIN_PARAMS_INIT(&p_)); }
    ExplainParams &method(std::string name) { method_ = std::move(name); return *this; }
    /// Forced mode: explain this transcript instead of decoding (audio <= 30 s).
    ExplainParams &text(std::string transcript) { text_ = std::move(transcript); return *this; }
    ExplainParams &tau(float t) { p_.tau = t; return *this; }
    ExplainParams &epsilon(float e) { p_.epsilon = e; return *this; }
    ExplainParams &depth(leafx_depth d) { p_.depth = d; return *this; }
    ExplainParams &seed(uint64_t s) { p_.seed = s; return *this; }
    /// Check each word by silencing where its attribution points (leafx_word.silence_drop, LEAFX_FLAG_UNCONFIRMED).
    /// Since 0.2: throws LEAFX_ERR_UNSUPPORTED when the loaded library is older, as it would ignore the field.
    ExplainParams &verify(bool on = true) {
        if (on && !version_at_least(0, 2, 0))
            throw Error(LEAFX_ERR_UNSUPPORTED, std::string("verify needs libleafx 0.2.0 or newer; loaded: ") + version());
        p_.verify = on ? 1 : 0;
        return *this;
    }
    ExplainParams &decoding(TranscribeParams t) { decoding_ = std::move(t); return *this; }
    leafx_explain_params &raw() noexcept { return p_; }

    /// The struct, its pointers aimed at this object's strings (valid while it lives unchanged).
    const leafx_explain_params *get() const noexcept {
        if (method_) p_.method = method_->c_str();
        p_.text = detail::c_str_or_null(text_);
        p_.transcribe = decoding_ ? decoding_->get() : nullptr;
        return &p_;
    }

private:
    mutable leafx_explain_params p_;
    std::optional<std::string> method_, text_;
    std::optional<TranscribeParams> decoding_;
};

// ---------------------------------------------------------------------------- audio

/// Decoded mono audio (16 kHz by default).
class Audio {
public:
    /// Decodes any file libsndfile reads, resampled with soxr.
    static Expected<Audio> load(const std::string &path, const AudioParams &params = AudioParams()) {
        leafx_audio *out = nullptr;
        leafx_status s = leafx_audio_load(path.c_str(), params.get(), &out);
        if (s != LEAFX_OK) return detail::last_error(s);
        return Audio(out);
    }

    /// From interleaved float PCM (n_frames * n_channels values) at `sample_rate_hz`.
    static Expected<Audio> from_pcm(span<const float> interleaved, int32_t n_channels, int32_t sample_rate_hz,
                                    const AudioParams &params = AudioParams()) {
        if (n_channels <= 0 || interleaved.size() % static_cast<size_t>(n_channels) != 0)
            return Error(LEAFX_ERR_INVALID_ARGUMENT,
                         "leafx::Audio::from_pcm: n_channels: " + std::to_string(n_channels) + " does not divide the " +
                             std::to_string(interleaved.size()) + " interleaved values");
        leafx_audio *out = nullptr;
        leafx_status s = leafx_audio_from_pcm(interleaved.data(), interleaved.size() / static_cast<size_t>(n_channels),
                                              n_channels, sample_rate_hz, params.get(), &out);
        if (s != LEAFX_OK) return detail::last_error(s);
        return Audio(out);
    }

    /// The samples, borrowed from this object.
    span<const float> samples() const {
        const float *data = nullptr;
        size_t n = 0;
        detail::check(leafx_audio_samples(handle_.get(), &data, &n));
        return {data, n};
    }

    int32_t sample_rate_hz() const {
        int32_t hz = 0;
        detail::check(leafx_audio_sample_rate_hz(handle_.get(), &hz));
        return hz;
    }

    leafx_audio *get() const noexcept { return handle_.get(); }

private:
    explicit Audio(leafx_audio *p) noexcept : handle_(p) {}
    std::unique_ptr<leafx_audio, detail::AudioDeleter> handle_;
};

/// Whisper's log-mel spectrogram, [n_mels][n_frames] row-major.
class Mel {
public:
    static Expected<Mel> compute(span<const float> pcm_16k, const MelParams &params = MelParams()) {
        leafx_mel *out = nullptr;
        leafx_status s = leafx_log_mel(pcm_16k.data(), pcm_16k.size(), params.get(), &out);
        if (s != LEAFX_OK) return detail::last_error(s);
        return Mel(out);
    }

    /// All values, row-major; n_mels() rows of n_frames() values.
    span<const float> data() const { return fetch().values; }
    size_t n_mels() const { return fetch().n_mels; }
    size_t n_frames() const { return fetch().n_frames; }

    leafx_mel *get() const noexcept { return handle_.get(); }

private:
    struct View {
        span<const float> values;
        size_t n_mels, n_frames;
    };
    View fetch() const {
        const float *data = nullptr;
        size_t rows = 0, cols = 0;
        detail::check(leafx_mel_data(handle_.get(), &data, &rows, &cols));
        return {{data, rows * cols}, rows, cols};
    }
    explicit Mel(leafx_mel *p) noexcept : handle_(p) {}
    std::unique_ptr<leafx_mel, detail::MelDeleter> handle_;
};

// ---------------------------------------------------------------------------- results

/// An attribution borrowed from a Result: values[i] is the share of frame first_frame + i,
/// which covers [(first_frame + i) * frame_s, (first_frame + i + 1) * frame_s) seconds.
struct Attribution {
    span<const float> values;
    size_t first_frame;
    double frame_s;
};

/// A transcription or explanation. Accessors throw leafx::Error on failure.
class Result {
public:
    std::string_view text() const { return fetch_string(leafx_result_text); }

    std::string_view language() const {
        const char *code = nullptr;
        detail::check(leafx_result_language(handle_.get(), &code, nullptr));
        return code;
    }

    size_t n_segments() const { return count(leafx_result_n_segments); }
    size_t n_tokens() const { return count(leafx_result_n_tokens); }
    size_t n_words() const { return count(leafx_result_n_words); }
    /// Timed words: those of a transcription with word_timestamps, or of an explanation.
    size_t n_timed_words() const { return count(leafx_result_n_timed_words); }

    leafx_segment segment(size_t i) const { return element<leafx_segment>(leafx_result_segment, i); }
    leafx_token token(size_t i) const { return element<leafx_token>(leafx_result_token, i); }
    /// Word i. The silence check's fields read NAN (not checked) unless the library filled
    /// them, also from a library older than this header.
    leafx_word word(size_t i) const {
        leafx_word unchecked{};
        unchecked.silenced_start_s = unchecked.silenced_end_s = std::numeric_limits<double>::quiet_NaN();
        unchecked.log_probability = unchecked.silenced_log_probability = unchecked.silence_drop =
            std::numeric_limits<float>::quiet_NaN();
        unchecked.boundary_start_s = unchecked.boundary_end_s = std::numeric_limits<double>::quiet_NaN();
        return element(leafx_result_word, i, unchecked);
    }
    /// Timed word i: where it starts and ends in the audio (leafx_timed_word).
    leafx_timed_word timed_word(size_t i) const { return element<leafx_timed_word>(leafx_result_timed_word, i); }

    std::vector<leafx_token> tokens() const {
        std::vector<leafx_token> all;
        for (size_t i = 0, n = n_tokens(); i < n; i++) all.push_back(token(i));
        return all;
    }
    std::vector<leafx_word> words() const {
        std::vector<leafx_word> all;
        for (size_t i = 0, n = n_words(); i < n; i++) all.push_back(word(i));
        return all;
    }
    std::vector<leafx_timed_word> timed_words() const {
        std::vector<leafx_timed_word> all;
        for (size_t i = 0, n = n_timed_words(); i < n; i++) all.push_back(timed_word(i));
        return all;
    }

    /// Token i's attribution (explained results only; a plain transcription throws
    /// LEAFX_ERR_MISUSE).
    Attribution token_attribution(size_t i) const { return attribution(leafx_result_token_attribution, i); }
    Attribution word_attribution(size_t i) const { return attribution(leafx_result_word_attribution, i); }

    /// The JSON of `leafx explain|transcribe --format json`.
    std::string to_json() const {
        char *json = nullptr;
        detail::check(leafx_result_to_json(handle_.get(), &json));
        std::unique_ptr<char, detail::StringDeleter> owned(json);
        return std::string(owned.get());
    }

    leafx_result *get() const noexcept { return handle_.get(); }

private:
    friend class Model;
    friend Expected<Result> explain_attention(const leafx_attention_input &, const ExplainParams &);
    explicit Result(leafx_result *p) noexcept : handle_(p) {}

    std::string_view fetch_string(leafx_status (*accessor)(const leafx_result *, const char **)) const {
        const char *s = nullptr;
        detail::check(accessor(handle_.get(), &s));
        return s;
    }
    size_t count(leafx_status (*accessor)(const leafx_result *, size_t *)) const {
        size_t n = 0;
        detail::check(accessor(handle_.get(), &n));
        return n;
    }
    template <class T>
    T element(leafx_status (*accessor)(const leafx_result *, size_t, T *), size_t i, T value = T{}) const {
        value.struct_size = sizeof value;
        detail::check(accessor(handle_.get(), i, &value));
        return value;
    }
    Attribution attribution(leafx_status (*accessor)(const leafx_result *, size_t, const float **, size_t *, size_t *,
                                                     double *),
                            size_t i) const {
        const float *values = nullptr;
        size_t n = 0, first = 0;
        double frame_s = 0;
        detail::check(accessor(handle_.get(), i, &values, &n, &first, &frame_s));
        return {{values, n}, first, frame_s};
    }

    std::unique_ptr<leafx_result, detail::ResultDeleter> handle_;
};

// ---------------------------------------------------------------------------- model

/// A loaded Whisper model; immutable, usable from many threads at once.
class Model {
public:
    /// A CTranslate2 or Hugging Face directory, a ggml file, or a name ("tiny.en") looked up
    /// in $LEAFX_MODELS (default ~/.cache/leafx/models).
    static Expected<Model> load(const std::string &path_or_name, const ModelParams &params = ModelParams()) {
        leafx_model *out = nullptr;
        leafx_status s = leafx_model_load(path_or_name.c_str(), params.get(), &out);
        if (s != LEAFX_OK) return detail::last_error(s);
        return Model(out);
    }

    leafx_model_description info() const {
        leafx_model_description d{};
        d.struct_size = sizeof d;
        detail::check(leafx_model_info(handle_.get(), &d));
        return d;
    }

    /// Transcribes 16 kHz mono PCM (borrowed for the call).
    Expected<Result> transcribe(span<const float> pcm, const TranscribeParams &params = TranscribeParams()) const {
        leafx_result *out = nullptr;
        leafx_status s = leafx_transcribe(handle_.get(), pcm.data(), pcm.size(), params.get(), &out);
        if (s != LEAFX_OK) return detail::last_error(s);
        return Result(out);
    }

    /// Decodes (or takes params.text) and attributes every token and word to 20 ms frames.
    Expected<Result> explain(span<const float> pcm, const ExplainParams &params = ExplainParams()) const {
        leafx_result *out = nullptr;
        leafx_status s = leafx_explain(handle_.get(), pcm.data(), pcm.size(), params.get(), &out);
        if (s != LEAFX_OK) return detail::last_error(s);
        return Result(out);
    }

    leafx_model *get() const noexcept { return handle_.get(); }

private:
    explicit Model(leafx_model *p) noexcept : handle_(p) {}
    std::unique_ptr<leafx_model, detail::ModelDeleter> handle_;
};

/// The bolt-on level: attributions of attention captured in another engine.
inline Expected<Result> explain_attention(const leafx_attention_input &input, const ExplainParams &params = ExplainParams()) {
    leafx_result *out = nullptr;
    leafx_status s = leafx_explain_attention(&input, params.get(), &out);
    if (s != LEAFX_OK) return detail::last_error(s);
    return Result(out);
}

}  // namespace leafx

#endif  // LEAFX_HPP
