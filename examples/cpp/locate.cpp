// Where in the recording is each word of a given transcript? Forced mode: leafx explains the
// transcript you pass (say, the words of a medical or legal record you need to check) and
// tells, per word, the stretch of audio that holds half of its attribution; words whose
// attribution is diffuse or far from their neighbours are flagged for a listen.
//
//   c++ -std=c++17 locate.cpp $(pkg-config --cflags --libs leafx) -o locate
//   ./locate call.wav "take fifty milligrams of amoxicillin" [MODEL [METHOD]]
#include <leafx.hpp>

#include <cstdio>
#include <string>

int main(int argc, char **argv) {
    if (argc < 3 || argc > 5) {
        std::fprintf(stderr, "usage: %s AUDIO TRANSCRIPT [MODEL [METHOD]]\n", argv[0]);
        return 2;
    }
    try {
        leafx::Model model = leafx::Model::load(argc > 3 ? argv[3] : "tiny.en").value();
        leafx::Audio audio = leafx::Audio::load(argv[1]).value();
        leafx::ExplainParams params;
        params.text(argv[2]);
        if (argc > 4) params.method(argv[4]);
        leafx::Result result = model.explain(audio.samples(), params).value();

        for (const leafx_word &word : result.words()) {
            std::printf("%-16s %7.3f %7.3f%s\n", word.text, word.start_s, word.end_s,
                        word.flags & LEAFX_FLAG_WEAK_SUPPORT ? "  weakly supported"
                        : word.flags & LEAFX_FLAG_DIFFUSE    ? "  diffuse"
                                                             : "");
        }
    } catch (const leafx::Error &e) {
        std::fprintf(stderr, "locate: %s\n", e.what());
        return 1;
    }
    return 0;
}
