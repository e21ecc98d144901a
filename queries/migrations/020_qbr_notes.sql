-- Migration 020: the "next steps" of a quarterly business review (issue #13, docs/qbr.md).
-- One row per (seller, customer, quarter): the list an account manager (or an administrator or
-- practice leader of the seller) writes on the QBR page and the PDF pack prints. Keyed by the
-- seller too, so that a customer that moves to another reseller never shows the new seller the
-- old one's notes. Saving replaces the list; every save is in the audit log (data/qbr.py).
CREATE TABLE qbr_notes (
    seller_id   VARCHAR NOT NULL,        -- the organisation that sells to the customer (its parent)
    customer_id VARCHAR NOT NULL,
    quarter     VARCHAR NOT NULL,        -- '2026Q3'
    steps       VARCHAR[] NOT NULL,      -- the next steps, in their order
    updated_by  VARCHAR NOT NULL,        -- the username that saved them (the CLI: 'cli')
    updated_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (seller_id, customer_id, quarter)
);
