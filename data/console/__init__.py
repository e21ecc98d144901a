"""The admin console's write side (docs/console.md): every change an admin makes in the browser
is an edit of the one configuration document, validated as `config import` validates it, stored
in one transaction and audited item by item. `document.edit_document` is the one write path;
`organizations`, `mappings`, `fx`, `users` and `audit` are the sections built on it."""
