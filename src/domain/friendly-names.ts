/**
 * Product names an admin recognises: Microsoft's display name for a part number (String_Id → Product_Display_Name
 * in the vendored "Product names and service plan identifiers for licensing" table, see product-catalog.ts).
 * A part number the table does not list is shown as it is.
 */
import { catalogProduct } from './product-catalog';

/** "Microsoft 365 Business Premium" for SPB; the part number itself when the product is not in the table. */
export function friendlyProductName(skuPartNumber: string): string {
  return catalogProduct(skuPartNumber)?.displayName ?? skuPartNumber;
}
