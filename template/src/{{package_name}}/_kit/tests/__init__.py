"""The kit's own tests, replaced with the kit by copier update. Yours live in tests/."""
