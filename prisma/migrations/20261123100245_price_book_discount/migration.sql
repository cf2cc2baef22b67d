-- AlterTable
ALTER TABLE "price_book" ADD COLUMN     "prepaid_discount_percent" DOUBLE PRECISION NOT NULL DEFAULT 0;

-- Hand-written: the list price the API served as a constant until now becomes the first price book.
INSERT INTO "price_book" ("id", "name", "currency", "effective_from", "prepaid_discount_percent")
VALUES ('pb-default-2026', 'default-2026', 'USD', '2026-01-01T00:00:00.000Z', 15)
ON CONFLICT DO NOTHING;
INSERT INTO "rate" ("id", "price_book_id", "meter", "unit", "price_micros") VALUES
  ('pb-default-2026/broker-hour', 'pb-default-2026', 'broker-hour', 'one broker for one hour', 120000),
  ('pb-default-2026/bandwidth-mbps-hour', 'pb-default-2026', 'bandwidth-mbps-hour', '1 MB/s of bandwidth for one hour', 1500),
  ('pb-default-2026/disk-gib-hour', 'pb-default-2026', 'disk-gib-hour', '1 GiB of disk for one hour', 140),
  ('pb-default-2026/partition-hour', 'pb-default-2026', 'partition-hour', 'one partition for one hour', 30)
ON CONFLICT DO NOTHING;
