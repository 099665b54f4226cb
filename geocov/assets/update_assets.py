"""Refresh the JavaScript/CSS bundled into geocov's offline maps (run by hand, not at import).

The maps must draw with no network, so Leaflet and Leaflet.markercluster are shipped in
this folder, taken unmodified from their npm packages (``npm pack``), except that

* ``leaflet.css``: the images it references (layer-control icon, default marker) are
  inlined as ``data:`` URIs so that the CSS requests no file;
* ``//# sourceMappingURL=`` comments are removed (no ``.map`` file is shipped).

``MANIFEST.json`` records package, version, licence, npm integrity and the sha256 of every
file written; ``LICENSES.txt`` holds the licence texts.  Usage::

    python geocov/assets/update_assets.py            # needs `npm` and the npm registry
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

# npm package -> (version, files in the package to ship)
PACKAGES = {
    "leaflet": ("1.9.4", ["dist/leaflet.js", "dist/leaflet.css"]),
    "leaflet.markercluster": (
        "1.5.3",
        [
            "dist/leaflet.markercluster.js",
            "dist/MarkerCluster.css",
            "dist/MarkerCluster.Default.css",
        ],
    ),
}


def _inline_images(css: str, member_dir: Path) -> str:
    def repl(match: re.Match[str]) -> str:
        rel = match.group(1).strip("'\"")
        data = (member_dir / rel).read_bytes()
        return "url(data:image/png;base64," + base64.b64encode(data).decode("ascii") + ")"

    return re.sub(r"url\((['\"]?images/[^)]+\.png['\"]?)\)", repl, css)


def main() -> None:
    manifest = {}
    licences = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (version, files) in PACKAGES.items():
            out = subprocess.run(
                ["npm", "pack", "--json", f"{name}@{version}"],
                cwd=tmp,
                check=True,
                capture_output=True,
                text=True,
            )
            info = json.loads(out.stdout)[0]
            pkg_dir = Path(tmp) / name
            with tarfile.open(Path(tmp) / info["filename"]) as tar:
                tar.extractall(pkg_dir, filter="data")
            root = pkg_dir / "package"
            package_json = json.loads((root / "package.json").read_text())
            written = {}
            for rel in files:
                text = (root / rel).read_text(encoding="utf-8")
                text = re.sub(r"\n?//# sourceMappingURL=\S+\s*$", "\n", text)
                if rel.endswith(".css"):
                    text = _inline_images(text, (root / rel).parent)
                target = HERE / Path(rel).name
                target.write_text(text, encoding="utf-8")
                written[target.name] = hashlib.sha256(text.encode("utf-8")).hexdigest()
            licence_files = sorted(
                p for p in root.iterdir() if re.search(r"LICEN[CS]E", p.name.upper())
            )
            licence_text = "\n".join(p.read_text(encoding="utf-8") for p in licence_files)
            manifest[name] = {
                "version": package_json["version"],
                "license": package_json.get("license"),
                "homepage": package_json.get("homepage"),
                "integrity": info.get("integrity"),
                "files": written,
            }
            licences.append(
                f"==== {name} {package_json['version']} ({package_json.get('license')}) ====\n"
                + (
                    licence_text
                    or f"Licence: {package_json.get('license')} (package.json; no licence file)\n"
                )
            )
    (HERE / "MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (HERE / "LICENSES.txt").write_text("\n".join(licences), encoding="utf-8")


if __name__ == "__main__":
    main()
