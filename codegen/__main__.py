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
    """The validator checks mixin names against ``amocrm.models._mixins``; use the repo's src/."""
    try:
        import amocrm  # noqa: F401
    except ImportError:
        sys.path.insert(0, str(REPO / "src"))


def known_mixins() -> set[str]:
    """Mixin class names exported by ``amocrm.models._mixins`` (read with ``ast``: importing
    ``amocrm.models`` would import the generated package we are about to write)."""
    import ast
    import importlib.util

    found = importlib.util.find_spec("amocrm")
    locations = list(found.submodule_search_locations or []) if found else []
    for location in locations:
        source = Path(location) / "models" / "_mixins.py"
        if source.exists():
            tree = ast.parse(source.read_text(encoding="utf-8"))
            for node in tree.body:
                if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "__all__" for t in node.targets):
                    return {str(ast.literal_eval(node.value)[i]) for i in range(len(ast.literal_eval(node.value)))}
    raise RuntimeError("amocrm.models._mixins not found; run from the repository or install the package")


def main(argv: list[str] | None = None) -> int:
    args_in = sys.argv[1:] if argv is None else argv
    if args_in[:1] == ["account"]:
        _ensure_runtime_importable()
        from codegen.account import main as account_main

        return account_main(args_in[1:])
    parser = argparse.ArgumentParser(prog="python -m codegen", description=__doc__)
    parser.add_argument("--spec", type=Path, default=REPO / "spec", help="spec directory (default: spec/)")
    parser.add_argument("--out", type=Path, default=REPO / "generated", help="output package (default: generated/)")
    parser.add_argument("--check", action="store_true", help="exit 1 with a diff when --out is stale; write nothing")
    args = parser.parse_args(args_in)

    _ensure_runtime_importable()
    from codegen.errors import SpecError
    from codegen.render import check, render_package
    from codegen.spec import load_spec

    started = time.perf_counter()
    try:
        spec = load_spec(args.spec, known_mixins=known_mixins())
        if args.check:
            diff = check(spec, args.out)
            if diff:
                sys.stdout.write(diff)
                sys.stderr.write(f"{args.out} is stale: run `python -m codegen` and commit the result\n")
                return 1
            sys.stderr.write(f"{args.out} is up to date ({time.perf_counter() - started:.2f}s)\n")
            return 0
        files = render_package(spec, args.out)
    except SpecError as exc:
        sys.stderr.write(f"spec error: {exc}\n")
        return 2
    sys.stderr.write(f"wrote {len(files)} files to {args.out} ({time.perf_counter() - started:.2f}s)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
