"""Writes plots/html_template.html, the page `dvc plots show` and `dvc plots diff` fill in
(.dvc/config: [plots] html_template), from the scripts vendored in plots/vendor/.

The three scripts are inlined in the template: DVC only reads the template's text and writes
the filled page to <out>/index.html, copying nothing, so a relative <script src> would break
with `--out` anywhere else, and DVC's own page loads them from a CDN (blank offline). Inlined,
the page draws with no network wherever it is written.

Rerun after updating plots/vendor/ (see plots/vendor/README.md):
    .venv/bin/python plots/build_template.py
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "vendor"
TEMPLATE = HERE / "html_template.html"
SCRIPTS = ("vega.min.js", "vega-lite.min.js", "vega-embed.min.js")  # in load order
# What dvc_render's HTML.embed replaces anywhere in the page. No "{scripts}": DVC would put its
# CDN <script> tags there.
PLACEHOLDERS = ("{plot_divs}", "{scripts}", "{refresh_tag}")

PAGE = """<!DOCTYPE html>
<!-- The HTML template of `dvc plots show` and `dvc plots diff` (.dvc/config), made by
     plots/build_template.py from plots/vendor/ (BSD-3-Clause licences there): edit those, not this.
     {files} -->
<html>
<head>
<meta charset="utf-8">
<title>AG News classification: DVC plots</title>
<style>
  body {{ font-family: sans-serif; margin: 16px 24px; }}
  h1 {{ font-size: 20px; margin: 0 0 12px; }}
  #plots {{ display: flex; flex-wrap: wrap; gap: 16px 32px; align-items: flex-start; }}
  footer {{ margin-top: 16px; color: #777; font-size: 12px; }}
</style>
{scripts}
<script>
// DVC's plot divs call vegaEmbed('#id', spec): draw as SVG, and say so in the page if a plot fails.
window.vegaEmbed = (function (embed) {{
  return Object.assign(function (el, spec, opt) {{
    return embed(el, spec, Object.assign({{renderer: "svg"}}, opt)).catch(function (e) {{
      document.querySelector(el).textContent = "This plot failed to draw: " + e;
      console.error(e);
    }});
  }}, embed);
}})(window.vegaEmbed);
</script>
</head>
<body>
<h1>AG News classification: DVC plots</h1>
<div id="plots">
{{plot_divs}}
</div>
<footer id="versions"></footer>
<script>
document.getElementById("versions").textContent = "Drawn offline with Vega " + vega.version +
  ", Vega-Lite " + vegaLite.version + " and Vega-Embed " + vegaEmbed.version + " (plots/vendor).";
</script>
</body>
</html>
"""


def inline(name: str) -> str:
    """<script> with the vendored file's text, less its source-map comment (no map is vendored)."""
    text = (VENDOR / name).read_text(encoding="utf-8")
    text = re.sub(r"\n?//# sourceMappingURL=\S+\s*$", "", text)
    for bad in ("</script", "<!--", *PLACEHOLDERS):
        if bad.lower() in text.lower():
            raise SystemExit(f"plots/vendor/{name} contains {bad!r}: it cannot be inlined as it is")
    return f"<script>/* plots/vendor/{name} */\n{text}\n</script>"


def render() -> str:
    files = "; ".join(f"{name} sha256 {hashlib.sha256((VENDOR / name).read_bytes()).hexdigest()[:16]}"
                      for name in SCRIPTS)
    return PAGE.format(files=files, scripts="\n".join(inline(name) for name in SCRIPTS))


def main() -> None:
    TEMPLATE.write_text(render(), encoding="utf-8")
    print(f"wrote {TEMPLATE.relative_to(HERE.parent)} ({TEMPLATE.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
