import { catalogProduct, catalogServicePlan, servicePlanFriendlyName } from '../../src/domain/product-catalog';
import { friendlyProductName } from '../../src/domain/friendly-names';

describe("Microsoft's product table as the product reads it", () => {
  it('names products by part number in any case, or by SKU id', () => {
    expect(catalogProduct('spb')).toMatchObject({
      skuPartNumber: 'SPB',
      displayName: 'Microsoft 365 Business Premium',
      skuIds: ['cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46'],
    });
    expect(catalogProduct('CBDC14AB-D96C-4C30-B9F4-6ADA7CDC1D46')?.skuPartNumber).toBe('SPB');
    expect(catalogProduct('NOT_A_PRODUCT')).toBeUndefined();
  });

  it('names products beyond the common ones, which used to fall back to their part number', () => {
    expect(friendlyProductName('RMSBASIC')).toBe('Rights Management Service Basic Content Protection');
  });

  it("gives service plans Microsoft's friendly name, by id or by name, and the plan name when not listed", () => {
    expect(catalogServicePlan('EXCHANGE_S_STANDARD')?.friendlyName).toBe('Exchange Online (Plan 1)');
    expect(
      servicePlanFriendlyName({ servicePlanId: '9aaf7827-d63c-4b61-89c3-182f06f82e5c', servicePlanName: 'x' }),
    ).toBe('Exchange Online (Plan 1)');
    expect(servicePlanFriendlyName({ servicePlanName: 'SOMETHING_NEW' })).toBe('SOMETHING_NEW');
  });
});
