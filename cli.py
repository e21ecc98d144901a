"""Tierline's headless door: the same functions the app uses, from a shell.

    python cli.py ingest PATH...                 load FOCUS files or folders
    python cli.py demo [--as-of DATE]            build the demo installation and bill it
    python cli.py config import FILE | export    the configuration document (docs/config.md)
    python cli.py bill --period YYYY-MM          price a period, draft its invoices
    python cli.py issue --period YYYY-MM         issue the period's draft invoices
    python cli.py report invoices|margins|reconcile|commitments --period YYYY-MM [--json] [--as USERNAME]
    python cli.py whatif --period YYYY-MM --plan-file PLAN.yaml [--as USERNAME] [--json]
                                                 a past period priced with a changed plan; stores nothing
    python cli.py invoices export --period YYYY-MM --format pdf|csv|quickbooks|xero|journal --out DIR
                  [--seller ORG] [--invoice NUMBER] [--as USERNAME]
    python cli.py invoices send --period YYYY-MM [--seller ORG] [--resend] [--as USERNAME]
                                                 e-mail issued invoices to their billing contacts
    python cli.py credit-note --invoice NUMBER --amount A | --full --reason TEXT [--as USERNAME]
    python cli.py export focus --buyer ORG --period YYYY-MM --out FILE.parquet [--as USERNAME]
    python cli.py qbr --customer ORG --quarter 2026Q3 --out FILE.pdf [--as USERNAME]
                                                 a customer's quarterly business review pack
    python cli.py deliveries                     what was loaded
    python cli.py users                          the configured sign-ins
    python cli.py init-secrets                   create the sign-in cookie key if absent
    python cli.py hash-password                  a password hash for the configuration's users

Every command takes --db (default: $TIERLINE_DB or data/tierline.duckdb). Exit status: 0 done,
1 a problem with the input or the data (the message says what), 2 usage (and --as naming an
unknown user, or a user who may not see what was asked), 3 the store is busy.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent
EXIT_INPUT, EXIT_USAGE, EXIT_BUSY = 1, 2, 3


class TextProgress:
    """A one-line progress bar on stderr (only when stderr is a terminal or --progress)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, fraction: float, message: str) -> None:
        if not self.enabled:
            return
        width = 30
        done = int(max(0.0, min(1.0, fraction)) * width)
        sys.stderr.write(f"\r[{'#' * done}{'.' * (width - done)}] {fraction * 100:5.1f}% {message[:60]:<60}")
        if fraction >= 1.0:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _open(args):
    from data.store import connect
    return connect(args.db)


def cmd_ingest(args) -> int:
    from data.ingest import ingest_paths
    con = _open(args)
    results = ingest_paths(con, args.paths, loaded_by="cli", progress=TextProgress(args.progress))
    for r in results:
        extra = f" (replaced delivery {', '.join(map(str, r.replaced_ingest_ids))})" if r.replaced_ingest_ids else ""
        print(f"{r.status:<15} {r.path}: {r.rows} rows, FOCUS {r.focus_version}{extra}")
        for notice in r.notices:
            print(f"  note: {notice}")
    if args.bill:
        from data.billing import reprice_after_ingest
        for result in reprice_after_ingest(con, results, progress=TextProgress(args.progress), run_by="cli"):
            _print_run(result, args)
            if not result.ok:
                return EXIT_INPUT
    return 0


def cmd_demo(args) -> int:
    from data.billing import run_billing
    from data.demo import build_demo
    con = _open(args)
    as_of = date.fromisoformat(args.as_of) if args.as_of else None
    progress = TextProgress(args.progress)
    summary = build_demo(con, as_of=as_of, seed=args.seed, rows=args.rows,
                         out_dir=Path(args.out) if args.out else None, progress=progress)
    print(f"demo: {summary.get('rows')} FOCUS rows in {len(summary.get('files', []))} files, "
          f"{summary.get('customers')} customers, {summary.get('users')} users")
    for period in summary["periods"]:
        result = run_billing(con, period, progress=progress, run_by="demo")
        print(f"billed {period:%Y-%m}: run {result.run_id} {result.status}, "
              f"{result.invoices_drafted} draft invoices")
        if not result.ok:
            _print_problems(result)
            return EXIT_INPUT
    return 0


def cmd_config(args) -> int:
    from data.config import export_config, import_config, load_config
    con = _open(args)
    if args.action == "import":
        doc = load_config(args.file)
        version = import_config(con, doc, imported_by="cli")
        print(f"configuration imported as version {version}")
    else:
        text = export_config(con)
        if args.out:
            Path(args.out).write_text(text, encoding="utf-8")
            print(f"configuration written to {args.out}")
        else:
            sys.stdout.write(text)
    return 0


def _print_problems(result) -> None:
    for p in result.problems:
        if p["kind"] == "invoice":
            print(f"  cannot draft the invoice of {p['buyer']}: {p['detail']}", file=sys.stderr)
            continue
        print(f"  cannot price {p['rows']} rows for {p['buyer']} ({p['billed_cost']} {p['currency']}): "
              f"{p['detail']}", file=sys.stderr)


def _bill(con, period, args) -> int:
    from data.billing import run_billing
    result = run_billing(con, period, progress=TextProgress(args.progress), run_by="cli")
    _print_run(result, args)
    return 0 if result.ok else EXIT_INPUT


def _money(amount, currency: str) -> str:
    """An amount as the invoice shows it: rounded to the currency's minor unit ('2044.98', JPY
    '1235'), never the store's 10 decimal places."""
    from pricing.money import round_line
    return format(round_line(amount, currency), "f")


def _print_run(result, args) -> None:
    if getattr(args, "json", False):
        print(json.dumps(result.to_json(), indent=2))
    else:
        print(f"run {result.run_id} for {result.period:%Y-%m}: {result.status}")
        print(f"  rows priced {result.rows_priced}, unassigned {result.rows_unassigned}, "
              f"could not price {result.rows_unpriced}")
        for ccy, cost in sorted(result.unassigned_cost.items()):
            print(f"  unassigned cost (nobody is billed for it): {_money(cost, ccy)} {ccy}")
        for t in result.totals:
            ccy = t["currency"]
            print(f"  {t['seller']:<24} {ccy} {t['invoices']:>5} invoices  "
                  f"subtotal {_money(t['subtotal'], ccy):>14}  tax {_money(t['tax'], ccy):>12}  "
                  f"total {_money(t['total'], ccy):>14}")
        if result.invoices_kept_issued:
            print(f"  {result.invoices_kept_issued} invoices already issued were left unchanged")
    if not result.ok:
        _print_problems(result)


def cmd_bill(args) -> int:
    from data.billing import parse_period
    return _bill(_open(args), parse_period(args.period), args)


def cmd_issue(args) -> int:
    from data.billing import issue_invoices, parse_period
    con = _open(args)
    issued = issue_invoices(con, parse_period(args.period), seller=args.seller, issued_by="cli")
    for number, buyer, total, ccy in issued:
        print(f"issued {number} to {buyer}: {_money(total, ccy)} {ccy}")
    if not issued:
        print("nothing to issue: no draft invoices for that period")
    return 0


class AccessRefused(Exception):
    """--as names no user, or that user may not see what was asked: one sentence, exit status 2."""


def _who(con, args):
    """The scope a report or export runs in: --as USERNAME's (the app's scoped layer), else the
    root administrators' view."""
    from queries.scope import ScopeError, scope_for_user, system_scope
    if not args.as_user:
        return system_scope(con)
    try:
        return scope_for_user(con, args.as_user)
    except ScopeError:
        raise AccessRefused(f"There is no user {args.as_user!r} in the configuration "
                            f"(python cli.py users lists them).") from None


def _as_user(args, run):
    """Run `run()`; with --as, a scope refusal (a role that may not see it) is exit status 2."""
    from queries.scope import ScopeError
    try:
        return run()
    except ScopeError as exc:
        if args.as_user:
            raise AccessRefused(f"{args.as_user} may not see this: {exc}") from None
        raise


def cmd_report(args) -> int:
    from data.billing import parse_period
    from queries.reports.admin import reconciliation
    from queries.reports.commitments import commitment_inventory
    from queries.reports.invoices import invoice_report
    from queries.reports.margins import margin_report
    from queries.scope import check_period
    con = _open(args)
    who = _who(con, args)
    period = check_period(con, who, parse_period(args.period))   # a period not billed is bad input (1)
    report = {"invoices": invoice_report, "reconcile": reconciliation, "commitments": commitment_inventory,
              "margins": lambda con, who, period: margin_report(con, who, period, with_pct=True)}[args.kind]
    data = _as_user(args, lambda: report(con, who, period))
    if args.json:
        print(json.dumps(data, indent=2, default=str))
    else:
        for item in data:
            print("  ".join(f"{k}={v}" for k, v in item.items() if k != "lines"))
    return 0


def cmd_whatif(args) -> int:
    """A billed period priced again with the plan in --plan-file (one of the user's organisation's
    plans, changed); per buyer the current and new subtotal and margin. Nothing is stored."""
    from data.billing import parse_period
    from data.whatif import what_if
    try:
        text = Path(args.plan_file).read_text(encoding="utf-8")
    except OSError as exc:
        print(f"error: cannot read the plan file {args.plan_file} ({exc.strerror}).", file=sys.stderr)
        return EXIT_INPUT
    con = _open(args)
    who = _who(con, args)
    period = parse_period(args.period)
    data = _as_user(args, lambda: what_if(con, who, period, text))
    if args.json:
        print(json.dumps(data, indent=2, default=str))
    else:
        for item in data:
            print("  ".join(f"{k}={v}" for k, v in item.items()))
    return 0


def cmd_invoices_export(args) -> int:
    from data.billing import parse_period
    from data.documents.export import export_period
    con = _open(args)
    who = _who(con, args)
    period = parse_period(args.period)
    written = _as_user(args, lambda: export_period(con, who, period, args.format, args.out,
                                                   seller=args.seller, number=args.invoice))
    for path in written:
        print(path)
    print(f"{len(written)} file{'s' if len(written) != 1 else ''} written to {args.out}")
    return 0


def cmd_invoices_send(args) -> int:
    """`invoices send`: e-mail the seller's issued invoices of a period (data/delivery.py); one
    line per invoice and a summary; exit status 1 when any invoice failed or had no contact."""
    from data.billing import parse_period
    from data.delivery import SendError, send_period, settings_or_error
    from queries.scope import check_period
    con = _open(args)
    who = _who(con, args)
    period = check_period(con, who, parse_period(args.period))   # a period not billed is bad input (1)
    try:
        settings = settings_or_error()
        outcomes = _as_user(args, lambda: send_period(con, period, settings=settings, scope=who,
                                                      seller=args.seller, resend=args.resend,
                                                      sent_by=args.as_user or "cli"))
    except SendError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    counts: dict[str, int] = {}
    for o in outcomes:
        counts[o["status"]] = counts.get(o["status"], 0) + 1
        if o["status"] == "sent":
            print(f"sent {o['number']} to {o['buyer']} <{o['to']}>")
        elif o["status"] == "skipped":
            print(f"skipped {o['number']} to {o['buyer']}: sent to {o['to']} on {o['sent_at']:%Y-%m-%d %H:%M} "
                  f"(--resend sends it again)")
        else:
            print(f"FAILED {o['number']} to {o['buyer']}: {o['error']}")
    summary = ", ".join(f"{counts[s]} {s}" for s in ("sent", "skipped", "failed", "no_contact") if s in counts)
    print(f"{len(outcomes)} invoice{'s' if len(outcomes) != 1 else ''}: {summary}")
    return EXIT_INPUT if counts.get("failed") or counts.get("no_contact") else 0


def cmd_credit_note(args) -> int:
    """`credit-note`: credit part (--amount) or all that remains (--full) of an issued invoice
    (data/credit_notes.py). With --as, only an administrator of the seller may."""
    from data.credit_notes import CreditNoteError, issue_credit_note
    con = _open(args)
    who = _who(con, args) if args.as_user else None      # without --as: the root administrators' CLI
    try:
        note = _as_user(args, lambda: issue_credit_note(
            con, invoice_number=args.invoice, amount=args.amount, full=args.full, reason=args.reason,
            issued_by=args.as_user or "cli", scope=who))
    except CreditNoteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    ccy = note["currency"]
    print(f"issued credit note {note['number']} against invoice {note['invoice_number']} to {note['buyer']}: "
          f"{_money(note['amount'], ccy)} + tax {_money(note['tax'], ccy)} = {_money(note['total'], ccy)} {ccy}; "
          f"{_money(note['remaining'], ccy)} {ccy} left to credit")
    return 0


def cmd_export(args) -> int:
    """`export focus`: the buyer's own FOCUS 1.2 file (data/focus_export.py)."""
    from data.focus_export import ExportError, export_focus
    from queries.scope import ScopeError, scope_for_user, system_scope
    con = _open(args)
    try:
        who = scope_for_user(con, args.as_user) if args.as_user else system_scope(con)
    except ScopeError:
        print(f"error: there is no user {args.as_user!r}; `cli.py users` lists them.", file=sys.stderr)
        return EXIT_USAGE
    try:
        result = export_focus(con, who, args.buyer, args.period, args.out)
    except (ExportError, ScopeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    number = result.invoice_number if result.status == "issued" else "draft, not yet issued"
    print(f"wrote {result.rows} FOCUS rows to {result.path}: BilledCost "
          f"{_money(result.billed_cost, result.currency)} {result.currency} (invoice {number})")
    return 0


def cmd_qbr(args) -> int:
    """`qbr`: one customer's quarterly business review as its branded PDF (data/qbr.py,
    docs/qbr.md), in the --as user's scope (an account manager: an assigned customer only)."""
    from data.qbr import qbr_pack
    from queries.reports.qbr import check_quarter
    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        print(f"error: --out must name a .pdf file, got {args.out!r}", file=sys.stderr)
        return EXIT_USAGE
    con = _open(args)
    who = _who(con, args)
    try:
        quarter = check_quarter(con, who, args.quarter)   # malformed or not billed: bad input (1)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    try:
        _name, data = _as_user(args, lambda: qbr_pack(con, who, args.customer, quarter))
    except ValueError as exc:                  # e.g. a customer invoiced in two currencies
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".part")      # never a half-written pack under its name
    partial.write_bytes(data)
    partial.replace(out)
    print(f"wrote the {args.quarter} review of {args.customer} to {out} ({len(data):,} bytes)")
    return 0


def cmd_deliveries(args) -> int:
    from data.ingest import list_deliveries
    for d in list_deliveries(_open(args)):
        print(json.dumps(d, default=str))
    return 0


def cmd_users(args) -> int:
    from queries import sql
    for username, name, org, roles in _open(args).execute(sql("cfg_users_list")).fetchall():
        print(f"    {username:<18} {roles:<22} {org:<20} {name}")
    return 0


def cmd_init_secrets(args) -> int:
    from data.auth import ensure_cookie_key
    path = Path(args.secrets)
    created = ensure_cookie_key(path)
    print(f"{'created' if created else 'kept'} the sign-in cookie key in {path}")
    return 0


def cmd_hash_password(args) -> int:
    """Ask for a password twice (or read one line from stdin when it is not a terminal) and print
    its hash at Tierline's one bcrypt cost: the value for `password_hash` in the configuration."""
    import getpass

    from data.auth import hash_password
    if sys.stdin.isatty():
        password = getpass.getpass("Password: ")
        if getpass.getpass("Again: ") != password:
            print("error: the two passwords differ; nothing was printed", file=sys.stderr)
            return EXIT_INPUT
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        print(hash_password(password))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cli.py", description="Tierline, headless.")
    parser.add_argument("--db", help="store file (default: $TIERLINE_DB or data/tierline.duckdb)")
    parser.add_argument("--progress", action="store_true", default=sys.stderr.isatty(),
                        help="draw a progress bar on stderr (default: when it is a terminal)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="load FOCUS files (CSV, CSV.gz, Parquet) or folders")
    p.add_argument("paths", nargs="+")
    p.add_argument("--no-bill", dest="bill", action="store_false",
                   help="do not re-price the periods the files touch")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("demo", help="build the demo installation and bill it")
    p.add_argument("--as-of", help="anchor date YYYY-MM-DD (default: today)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--rows", type=int, default=60000)
    p.add_argument("--out", help="folder for the generated FOCUS files (default: data/demo_files)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("config", help="import or export the configuration document")
    csub = p.add_subparsers(dest="action", required=True)
    c = csub.add_parser("import")
    c.add_argument("file")
    c.set_defaults(func=cmd_config)
    c = csub.add_parser("export")
    c.add_argument("--out")
    c.set_defaults(func=cmd_config)

    p = sub.add_parser("bill", help="price a period and draft its invoices")
    p.add_argument("--period", required=True, help="YYYY-MM")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_bill)

    p = sub.add_parser("issue", help="issue a period's draft invoices (they never change again)")
    p.add_argument("--period", required=True, help="YYYY-MM")
    p.add_argument("--seller", help="only this seller's invoices")
    p.set_defaults(func=cmd_issue)

    p = sub.add_parser("report", help="machine-readable results")
    p.add_argument("kind", choices=["invoices", "margins", "reconcile", "commitments"])
    p.add_argument("--period", required=True, help="YYYY-MM")
    p.add_argument("--json", action="store_true")
    p.add_argument("--as", dest="as_user", metavar="USERNAME",
                   help="run it in this user's scope, as the app would (default: the root's administrators)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("whatif", help="price a billed period with a changed plan (stores nothing)")
    p.add_argument("--period", required=True, help="YYYY-MM")
    p.add_argument("--plan-file", required=True, help="the changed plan (YAML: one of your organisation's plans)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--as", dest="as_user", metavar="USERNAME",
                   help="as this user (an administrator or leader of the plan's owner; "
                        "default: the root's administrators)")
    p.set_defaults(func=cmd_whatif)

    p = sub.add_parser("invoices", help="invoice documents: PDF, lines CSV, accounting files")
    isub = p.add_subparsers(dest="action", required=True)
    e = isub.add_parser("export", help="write a period's invoice documents into a folder")
    e.add_argument("--period", required=True, help="YYYY-MM")
    e.add_argument("--format", required=True, choices=["pdf", "csv", "quickbooks", "xero", "journal"],
                   help="pdf (one per invoice), csv (lines), quickbooks, xero or journal (issued invoices)")
    e.add_argument("--out", required=True, help="the folder to write into (made when missing)")
    e.add_argument("--seller", metavar="ORG", help="only this seller's invoices")
    e.add_argument("--invoice", metavar="NUMBER", help="only this issued invoice")
    e.add_argument("--as", dest="as_user", metavar="USERNAME",
                   help="export in this user's scope, as the app would (default: the root's administrators)")
    e.set_defaults(func=cmd_invoices_export)
    e = isub.add_parser("send", help="e-mail a period's issued invoices to their buyers' billing contacts")
    e.add_argument("--period", required=True, help="YYYY-MM")
    e.add_argument("--seller", metavar="ORG", help="the selling organisation (default: --as user's, else the root)")
    e.add_argument("--resend", action="store_true", help="send again invoices that were sent before")
    e.add_argument("--as", dest="as_user", metavar="USERNAME",
                   help="send as this user (an administrator of the seller)")
    e.set_defaults(func=cmd_invoices_send)

    p = sub.add_parser("credit-note", help="credit part or all of an issued invoice (a numbered credit note)")
    p.add_argument("--invoice", required=True, metavar="NUMBER", help="the issued invoice's number")
    how = p.add_mutually_exclusive_group(required=True)
    how.add_argument("--amount", help="what to credit before tax, e.g. 250.00 (tax at the invoice's rate)")
    how.add_argument("--full", action="store_true", help="credit everything the invoice has left")
    p.add_argument("--reason", required=True, help="printed on the credit note")
    p.add_argument("--as", dest="as_user", metavar="USERNAME",
                   help="issue as this user (an administrator of the seller; default: the root's administrators)")
    p.set_defaults(func=cmd_credit_note)

    p = sub.add_parser("export", help="export a buyer's data")
    esub = p.add_subparsers(dest="what", required=True)
    e = esub.add_parser("focus", help="the buyer's FOCUS 1.2 rows at its own price, as Parquet")
    e.add_argument("--buyer", required=True, help="the buying organisation's id")
    e.add_argument("--period", required=True, help="YYYY-MM")
    e.add_argument("--out", required=True, help="the Parquet file to write")
    e.add_argument("--as", dest="as_user", metavar="USERNAME",
                   help="export as this configured user (default: an admin of the root organisation)")
    e.set_defaults(func=cmd_export)

    p = sub.add_parser("qbr", help="a customer's quarterly business review as a branded PDF")
    p.add_argument("--customer", required=True, metavar="ORG", help="the customer's organisation id")
    p.add_argument("--quarter", required=True, help="the quarter, written like 2026Q3")
    p.add_argument("--out", required=True, help="the PDF file to write")
    p.add_argument("--as", dest="as_user", metavar="USERNAME",
                   help="prepare it as this user, as the app would (default: the root's administrators)")
    p.set_defaults(func=cmd_qbr)

    p = sub.add_parser("deliveries", help="list what was loaded")
    p.set_defaults(func=cmd_deliveries)

    p = sub.add_parser("users", help="list the configured sign-ins (never their passwords)")
    p.set_defaults(func=cmd_users)

    p = sub.add_parser("init-secrets", help="create .streamlit/secrets.toml with a cookie key if absent")
    p.add_argument("--secrets", default=str(ROOT / ".streamlit" / "secrets.toml"))
    p.set_defaults(func=cmd_init_secrets)

    p = sub.add_parser("hash-password", help="print a password hash for the configuration's users "
                                             "(asks for the password; or reads one line from stdin)")
    p.set_defaults(func=cmd_hash_password)
    return parser


def main(argv: list[str] | None = None) -> int:
    from data.store import StoreBusy
    args = build_parser().parse_args(argv)
    known = _known_errors()
    try:
        return args.func(args)
    except StoreBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except AccessRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except known as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT


def _known_errors() -> tuple[type[BaseException], ...]:
    """User-facing error types: printed as one sentence, exit status 1."""
    errors: list[type[BaseException]] = []
    for module, name in (("data.ingest", "IngestError"), ("data.config", "ConfigError"),
                         ("data.billing", "BillingError"), ("queries.scope", "ScopeError"),
                         ("data.documents.export", "ExportError"),
                         ("pricing.fx", "MissingRate"), ("data.whatif", "WhatIfError")):
        try:
            errors.append(getattr(__import__(module, fromlist=[name]), name))
        except (ImportError, AttributeError):
            continue
    return tuple(errors)


if __name__ == "__main__":
    sys.exit(main())
