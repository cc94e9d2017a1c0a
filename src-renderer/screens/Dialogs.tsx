import { useUi } from '../stores/ui';
import { CreateVaultDialog, JoinDialog } from './VaultDialogs';
import { ImportDialog } from './ImportDialog';
import { RotateDialog } from './RotateDialog';
import { PolicyDialog } from './SecretPolicy';
import { SecretForm } from './SecretForm';

/** The one open dialog, if any. */
export function Dialogs() {
  const dialog = useUi((s) => s.dialog);
  const close = useUi((s) => s.close);
  if (!dialog) return null;
  switch (dialog.kind) {
    case 'add':
      return <SecretForm onClose={close} />;
    case 'edit':
      return <SecretForm onClose={close} editing={dialog.name} {...(dialog.environment ? { environment: dialog.environment } : {})} />;
    case 'import':
      return <ImportDialog onClose={close} />;
    case 'rotate':
      return <RotateDialog onClose={close} name={dialog.name} environment={dialog.environment} {...(dialog.generate ? { generate: dialog.generate } : {})} />;
    case 'policy':
      return <PolicyDialog onClose={close} name={dialog.name} />;
    case 'create-vault':
      return <CreateVaultDialog onClose={close} />;
    case 'join':
      return <JoinDialog onClose={close} />;
  }
}
