import { Table } from '@mantine/core';
import { formatMicros, formatMoney, formatQuantity } from '../lib/format.ts';
import { ScrollTable } from './Bits.tsx';

export type PriceLine = { code: string; instanceId: string | null; quantity: number; unit: string; unitPriceMicros: number; amountMinor: number };

/** Priced lines (invoices, quotes): what, for which instance, how much at which unit price. */
export function PriceLines({ lines, currency, label, nameOf }: { lines: PriceLine[]; currency: string; label: string; nameOf?(id: string): string }) {
  return (
    <ScrollTable minWidth={600} label={label}>
      <Table aria-label={label}>
        <Table.Thead><Table.Tr><Table.Th>Line</Table.Th>{nameOf && <Table.Th>Instance</Table.Th>}<Table.Th>Quantity</Table.Th><Table.Th>Unit price</Table.Th><Table.Th>Amount</Table.Th></Table.Tr></Table.Thead>
        <Table.Tbody>
          {lines.map((l, i) => (
            <Table.Tr key={i}>
              <Table.Td>{l.code}</Table.Td>{nameOf && <Table.Td>{l.instanceId ? nameOf(l.instanceId) : '—'}</Table.Td>}<Table.Td>{formatQuantity(l.quantity)} {l.unit}</Table.Td>
              <Table.Td>{formatMicros(l.unitPriceMicros, currency)}</Table.Td><Table.Td>{formatMoney(l.amountMinor, currency)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </ScrollTable>
  );
}
