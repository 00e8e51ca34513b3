"""Write the API's OpenAPI document (what the portal's typed client is generated from).

    .venv/bin/python scripts/export_openapi.py clinic_portal/openapi.json

Builds the app on a throwaway data directory (embedded defaults, no benchmark routes), so the
document is the one `ohms serve` publishes at /openapi.json, whatever the local settings."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: export_openapi.py OUTPUT.json", file=sys.stderr)
        return 2
    out = Path(argv[0])
    for name in [k for k in os.environ if k.startswith("OHMS_")]:
        del os.environ[name]
    with tempfile.TemporaryDirectory(prefix="ohms-openapi-") as data_dir:
        os.environ["OHMS_DATA_DIR"] = data_dir
        os.environ["OHMS_LOG_LEVEL"] = "WARNING"
        os.environ["OHMS_RUN_WORKERS"] = "false"
        from api.main import create_app

        app = create_app()
        document = app.openapi()
        app.state.container.close()
    text = json.dumps(document, indent=1, sort_keys=True) + "\n"
    if not out.exists() or out.read_text(encoding="utf-8") != text:  # keep make's timestamps
        out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
