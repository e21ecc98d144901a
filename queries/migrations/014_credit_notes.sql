-- Migration 014: credit notes (issue #11, item 7; docs/invoices.md "Credit notes").
-- A credit note credits part or all of one ISSUED invoice: its own number in the seller's
-- credit-note sequence (branding credit_note_prefix + 000001), the invoice's parties, period,
-- currency and tax rate. amount is what is credited before tax, positive, at the currency's
-- minor unit; tax = round(amount × tax_rate_pct / 100); total = amount + tax. The credit notes
-- of an invoice never add up to more than its subtotal (data/credit_notes.py checks it in the
-- issuing transaction). Issued credit notes never change: nothing updates or deletes this table
-- (as with issued invoices). No foreign key to invoices: DuckDB's foreign keys would refuse the
-- deletes and updates that drafts go through in the same table; the issuing code checks that
-- the invoice exists and is issued.
CREATE TABLE credit_notes (
    credit_note_id BIGINT PRIMARY KEY,
    number         VARCHAR NOT NULL UNIQUE,
    seller         VARCHAR NOT NULL,
    buyer          VARCHAR NOT NULL,
    invoice_id     BIGINT NOT NULL,          -- the issued invoice it credits
    x_Period       DATE NOT NULL,            -- the invoice's period (its margin is reduced there)
    currency       VARCHAR NOT NULL,
    amount         DECIMAL(38,10) NOT NULL,  -- before tax, positive, rounded to the currency
    tax_rate_pct   DECIMAL(9,4) NOT NULL,    -- the invoice's rate
    tax            DECIMAL(38,10) NOT NULL,
    total          DECIMAL(38,10) NOT NULL,
    reason         VARCHAR NOT NULL,
    issued_at      TIMESTAMP NOT NULL,
    issued_by      VARCHAR NOT NULL
);
