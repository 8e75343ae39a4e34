"""``python -m codegen [--check] [--spec DIR] [--out DIR]``: regenerate (or verify) ``generated/``.

``python -m codegen account ... -o FILE``: a typed module of one account's custom fields (see codegen/account.py).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _ensure_runtime_importable() -> None:
    """The validator checks mixin names against ``amocrm.lib.<version>.mixins``; use the repo's src/."""
    try:
        import amocrm  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(REPO / "src"))


def known_mixins() -> dict[str, set[str]]:
    """Per version, the mixin class names exported by ``amocrm.lib.<version>.mixins`` (read with
    ``ast``: importing them would import the generated packages we are about to write)."""
    import ast
    import importlib.util

    found = importlib.util.find_spec("amocrm")
    locations = list(found.submodule_search_locations or []) if found else []
    out: dict[str, set[str]] = {}
    for location in locations:
        lib = Path(location) / "lib"
        for source in sorted(lib.glob("v*/mixins.py")):
            tree = ast.parse(source.read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
                    out[source.parent.name] = {str(v) for v in ast.literal_eval(node.value)}
    if not out:
        raise RuntimeError("amocrm.lib.<version>.mixins not found; run from the repository or install the package")
    return out


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["account"]:
        _ensure_runtime_importable()
        from codegen.account import main as account_main

        return account_main(args_in[1:])
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--spec", type=Path, default=REPO / "spec", help="spec directory (default: spec/)")
    parser.add_argument("--out", type=Path, default=REPO / "generated", help="output package (default: generated/)")
    parser.add_argument("--api-md", type=Path, default=None,
                        help="where to write the API reference (default: api.md beside --out)")
    parser.add_argument("--check", action="store_true", help="exit 1 with a diff when --out is stale; write nothing")
    args = parser.parse_args(args_in)

    _ensure_runtime_importable()
    from codegen.errors import SpecError
    from codegen.render import check, render_package
    from codegen.spec import load_spec

    started = time.perf_counter()
    try:
        spec = load_spec(args.spec, known_mixins=known_mixins())
        api_md = args.api_md if args.api_md is not None else args.out.parent / "api.md"
        if args.check:
            diff = check(spec, args.out, api_md)
            if diff:
                sys.stdout.write(diff)
                sys.stderr.write(f"{args.out} is stale: run `python -m codegen` and commit the result\n")
                return 1
            sys.stderr.write(f"{args.out} is up to date ({time.perf_counter() - started:.2f}s)\n")
            return 0
        files = render_package(spec, args.out, api_md)
    except SpecError as exc:
        sys.stderr.write(f"spec error: {exc}\n")
        return 2
    sys.stderr.write(f"wrote {len(files)} files to {args.out} ({time.perf_counter() - started:.2f}s)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
