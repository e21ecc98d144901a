-- Migration 015: e-mail deliveries of issued invoices (issue #11, `cli.py invoices send`).
-- One row per attempt to send one invoice; an invoice counts as sent when it has a row with
-- status 'sent', and is then never sent again unless asked (--resend). Rows are only appended:
-- the history says when each invoice went out, to whom, by whom, and why an attempt failed.
CREATE TABLE invoice_deliveries (
    invoice_id  BIGINT NOT NULL,
    number      VARCHAR NOT NULL,            -- the issued invoice's number, as sent
    sent_at     TIMESTAMP NOT NULL,          -- when the attempt was made (as issued_at)
    sent_to     VARCHAR NOT NULL,            -- the buyer's billing_email at that moment
    sent_by     VARCHAR,                     -- the user who sent it (the CLI: its --as user or 'cli')
    status      VARCHAR NOT NULL CHECK (status IN ('sent', 'failed')),
    error       VARCHAR                      -- a failed attempt: the one sentence saying why
);
