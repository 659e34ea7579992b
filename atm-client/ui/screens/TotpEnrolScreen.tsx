import { Box, Text } from 'ink';
import { FormFields } from '../components/FormFields.js';
import { Frame } from '../components/Frame.js';
import { Notice } from '../components/Notice.js';
import { CODE_FIELDS } from '../fields.js';
import { useForm } from '../hooks/use-form.js';
import { useKeys } from '../hooks/use-keys.js';
import { useTotpEnrol } from '../hooks/use-totp-enrol.js';
import { groupSecret } from '../qr.js';
import type { SessionScreenProps } from './screen-props.js';

export function TotpEnrolScreen(props: SessionScreenProps) {
  const enrol = useTotpEnrol(props.session, props.nav);
  const { state } = useForm(CODE_FIELDS, {
    isActive: enrol.enrolment !== null && !enrol.pending,
    onCancel: props.nav.back,
    onEdit: enrol.clearProblem,
    onSubmit: ({ code = '' }) => void enrol.confirm(code),
  });
  // Until the form is live, Esc still has to lead out.
  useKeys((_input, key) => {
    if (key.escape) props.nav.back();
  }, enrol.enrolment === null);
  const { enrolment } = enrol;
  return (
    <Frame title="Two-factor login" hints={['type the 6-digit code', 'Enter confirm', 'Esc cancel']}>
      {enrolment === null ? (
        <Text color="yellow">Asking the bank for a new secret…</Text>
      ) : (
        <>
          <Text>Scan this code with your authenticator app:</Text>
          {enrolment.qr === null ? (
            <Text color="red">(The QR code could not be drawn; type the secret instead.)</Text>
          ) : (
            <Text>{enrolment.qr.trimEnd()}</Text>
          )}
          <Text>
            or type this secret: <Text bold>{groupSecret(enrolment.secret)}</Text>
          </Text>
          <Box marginTop={1} flexDirection="column">
            <Text>Then enter the 6-digit code the app shows:</Text>
            <FormFields fields={CODE_FIELDS} state={state} disabled={enrol.pending} />
          </Box>
          <Notice problem={enrol.problem} pending={enrol.pending} pendingText="Checking the code…" />
        </>
      )}
    </Frame>
  );
}
