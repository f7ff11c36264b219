/// Matches decoded words to reference words (for localisation scores): both sides are
/// normalised (lower case, letters, digits and apostrophes only), aligned by minimum edit
/// distance, and the aligned pairs whose normalised forms are equal are kept.
public enum WordMatching {
  public static func normalise(_ word: String) -> String {
    String(word.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "'" }
      .map(Character.init))
  }

  /// Pairs `(decoded index, reference index)` of equal words on a minimum edit-distance path.
  public static func match(decoded: [String], reference: [String]) -> [(Int, Int)] {
    let a = decoded.map(normalise)
    let b = reference.map(normalise)
    let n = a.count
    let m = b.count
    var cost = [[Int]](repeating: [Int](repeating: 0, count: m + 1), count: n + 1)
    for i in 0...n { cost[i][0] = i }
    for j in 0...m { cost[0][j] = j }
    if n > 0 && m > 0 {
      for i in 1...n {
        for j in 1...m {
          let substitution = cost[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
          cost[i][j] = min(substitution, cost[i - 1][j] + 1, cost[i][j - 1] + 1)
        }
      }
    }
    var pairs: [(Int, Int)] = []
    var i = n
    var j = m
    while i > 0 && j > 0 {
      if cost[i][j] == cost[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1) {
        if a[i - 1] == b[j - 1] && !a[i - 1].isEmpty { pairs.append((i - 1, j - 1)) }
        i -= 1
        j -= 1
      } else if cost[i][j] == cost[i - 1][j] + 1 {
        i -= 1
      } else {
        j -= 1
      }
    }
    return pairs.reversed()
  }
}
