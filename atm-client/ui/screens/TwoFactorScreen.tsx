import { Box, Text } from 'ink';
import { FormFields } from '../components/FormFields.js';
import { Frame } from '../components/Frame.js';
import { MenuList } from '../components/MenuList.js';
import { Notice } from '../components/Notice.js';
import { Para } from '../components/Para.js';
import { QrStep } from '../components/QrStep.js';
import { CODE_FIELDS, PASSWORD_FIELD } from '../fields.js';
import { useForm } from '../hooks/use-form.js';
import { useMenu } from '../hooks/use-menu.js';
import { useTwoFactor } from '../hooks/use-two-factor.js';
import { groupSecret } from '../qr.js';
import type { FieldSpec } from '../text-edit.js';
import type { SessionScreenProps } from './screen-props.js';

const PASSWORD_FIELDS: readonly FieldSpec[] = [PASSWORD_FIELD];
const DISABLE_FIELDS: readonly FieldSpec[] = [PASSWORD_FIELD, ...CODE_FIELDS];
const TITLE = 'Two-factor login';

/** Two-factor status; turning it on (password, QR, first code) or off (password, code). */
export function TwoFactorScreen(props: SessionScreenProps & { twoFactor: boolean; onChanged: (on: boolean) => void }) {
  const flow = useTwoFactor(props);
  const { step } = flow;
  switch (step.step) {
    case 'status':
      return <Status onTurnOff={flow.turnOff} onBack={props.nav.back} />;
    case 'disable':
      return (
        <PasswordForm
          fields={DISABLE_FIELDS}
          lines={['To turn two-factor login off, enter your password', 'and the current code from your app.']}
          hints={['Enter next / turn off', 'Tab switch field', 'Esc back']}
          flow={flow}
          onSubmit={(values) => void flow.disable(values.password ?? '', values.code ?? '')}
          onCancel={props.nav.back}
        />
      );
    case 'enrol':
      return (
        <PasswordForm
          fields={PASSWORD_FIELDS}
          lines={['Two-factor login: off', 'To set it up, enter your password.']}
          hints={['Enter continue', 'Esc back']}
          flow={flow}
          onSubmit={(values) => void flow.enrol(values.password ?? '')}
          onCancel={props.nav.back}
        />
      );
    case 'qr':
      return (
        <QrStep
          otpauthUri={step.otpauthUri}
          secret={step.secret}
          onNext={flow.showCodeEntry}
          onCancel={props.nav.back}
        />
      );
    case 'code':
      return <CodeEntry secret={step.secret} flow={flow} onBack={flow.showQr} />;
  }
}

function Status(props: { onTurnOff: () => void; onBack: () => void }) {
  const selected = useMenu(1, { onChoose: props.onTurnOff, onBack: props.onBack });
  return (
    <Frame title={TITLE} hints={['Enter or 1 turn off', 'Esc back']}>
      <Text>
        Two-factor login:{' '}
        <Text bold color="green">
          on
        </Text>
      </Text>
      <Text>Logging in needs your password and a code from your app.</Text>
      <Box marginTop={1}>
        <MenuList labels={['Turn off']} selected={selected} />
      </Box>
    </Frame>
  );
}

type Flow = ReturnType<typeof useTwoFactor>;

function PasswordForm(props: {
  fields: readonly FieldSpec[];
  lines: readonly string[];
  hints: readonly string[];
  flow: Flow;
  onSubmit: (values: Record<string, string>) => void;
  onCancel: () => void;
}) {
  const { state } = useForm(props.fields, {
    isActive: !props.flow.pending,
    onCancel: props.onCancel,
    onEdit: props.flow.clearProblem,
    onSubmit: props.onSubmit,
  });
  return (
    <Frame title={TITLE} hints={props.hints}>
      {props.lines.map((line) => (
        <Para key={line}>{line}</Para>
      ))}
      <Box marginTop={1}>
        <FormFields fields={props.fields} state={state} disabled={props.flow.pending} />
      </Box>
      <Notice problem={props.flow.problem} pending={props.flow.pending} pendingText="Asking the bank…" />
    </Frame>
  );
}

function CodeEntry(props: { secret: string; flow: Flow; onBack: () => void }) {
  const { flow } = props;
  const { state } = useForm(CODE_FIELDS, {
    isActive: !flow.pending,
    onCancel: props.onBack,
    onEdit: flow.clearProblem,
    onSubmit: ({ code = '' }) => void flow.confirm(code),
  });
  return (
    <Frame title={TITLE} hints={['type the 6-digit code', 'Enter confirm', 'Esc QR code again']}>
      <Text>Or type this secret into the app by hand:</Text>
      <Text bold>{groupSecret(props.secret)}</Text>
      <Box marginTop={1} flexDirection="column">
        <Text>Enter the 6-digit code your app shows now:</Text>
        <FormFields fields={CODE_FIELDS} state={state} disabled={flow.pending} />
      </Box>
      <Notice problem={flow.problem} pending={flow.pending} pendingText="Checking the code…" />
    </Frame>
  );
}
