module tributary.dev/test/compat/driver

go 1.26.0
