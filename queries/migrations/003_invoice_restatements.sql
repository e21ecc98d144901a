-- Migration 003: restatements of issued invoices (DOMAIN §7).
-- When a period whose invoice is already issued is billed again (late or re-delivered provider
-- data), the run records what that invoice would say now; the difference to the issued invoice
-- becomes a correction line on the buyer's next draft invoice. Issued invoices never change.
CREATE TABLE invoice_restatements (
    x_Period     DATE NOT NULL,
    seller       VARCHAR NOT NULL,
    buyer        VARCHAR NOT NULL,
    run_id       BIGINT NOT NULL,
    currency     VARCHAR NOT NULL,
    subtotal     DECIMAL(38,10) NOT NULL,   -- Σ rounded lines as the invoice would be now, before corrections
    computed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (x_Period, seller, buyer)
);
