"""The non-intrusive inspection area: scans received through the API, their analyses on the officer's pages."""
