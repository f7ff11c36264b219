/// Whisper's task after the language token: transcribe in the spoken language
/// (`<|transcribe|>`), or translate into English (`<|translate|>`).
public enum WhisperTask: String, Sendable, CaseIterable {
  case transcribe, translate
}
