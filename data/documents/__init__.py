"""Invoice documents (issue #11): plain data in, bytes out. No store, no Streamlit, no files
except `branding.load_logo` (reads a logo the configuration names) and `mail.send_invoice`
(talks SMTP). docs/invoices.md describes the API.

- branding: `Branding` (a seller's look, terms, number prefixes, accounting codes), `Party`,
  `Logo`, `load_logo`, `document_number`, `due_date`.
- pdf: `render_invoice_pdf`, `render_credit_note_pdf`.
- accounting: `lines_csv`, `quickbooks_csv`, `xero_csv`, `journal_csv`.
- mail: `MailSettings`, `send_invoice`, `DeliveryError`.
- common: the invoice / credit-note checks and text helpers the others share; sample: a sample
  invoice, credit note, branding and buyer for tests and docs.
"""
