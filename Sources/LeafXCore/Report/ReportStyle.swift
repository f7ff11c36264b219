/// The style sheet of the HTML report (`HTMLReport`); system fonts only, nothing fetched.
enum ReportStyle {
  static let source = #"""
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d1d1d; background: #fafafa; }
header, section { max-width: 1400px; margin: 0 auto; padding: 8px 20px; }
h1 { font-size: 20px; margin: 12px 0 2px; }
h2 { font-size: 16px; margin: 10px 0 4px; }
.meta, .legend { color: #555; font-size: 13px; margin: 2px 0 8px; }
#transcript { line-height: 2.1; max-height: 32vh; overflow-y: auto; padding: 6px; background: #fff; border: 1px solid #ddd; }
.word { padding: 2px 4px; border-radius: 3px; cursor: pointer; outline-offset: 1px; }
.word.flagged { border-bottom: 3px dashed #000; }
.word.selected { outline: 3px solid #000; box-shadow: 0 0 0 5px #fff; }
.word:focus-visible { outline: 3px solid #555; }
.scale { display: inline-block; width: 140px; height: 10px; vertical-align: middle; border: 1px solid #999; }
#player { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
#selection { flex: 1; min-width: 300px; font-size: 13px; }
#timeline { position: relative; height: 62vh; overflow: auto; background: #fff; border: 1px solid #ddd; }
#heatmap { position: sticky; top: 0; left: 0; display: block; }
#timeline-spacer { pointer-events: none; }
#flag-list > li { margin: 4px 0; }
#flag-list button { font: inherit; cursor: pointer; }
#flag-list ul { margin: 2px 0 6px; color: #333; font-size: 13px; }
"""#
}
