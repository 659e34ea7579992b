import { Box, Text, useApp } from 'ink';
import { useCallback, useMemo, useReducer, useRef, useState } from 'react';
import type { BankConnector, BankSession } from '../client/types.js';
import { type Clock, systemClock } from './clock.js';
import { KeyboardRoot } from './components/KeyboardRoot.js';
import { type CashDispenser, createSimulatedDispenser } from './dispenser.js';
import { ErrorBoundary } from './ErrorBoundary.js';
import { describeError, type UiError } from './error-text.js';
import { useBankSession } from './hooks/use-bank-session.js';
import { useIdleCountdown } from './hooks/use-idle-countdown.js';
import { useKeys } from './hooks/use-keys.js';
import { fitsAtm, TerminalSizeContext, TOO_SMALL_TEXT, useTerminalSize } from './hooks/use-terminal-size.js';
import type { MainAction, WelcomeAction } from './menu-model.js';
import { navigate, needsSession, type Route } from './navigation.js';
import { BalanceScreen } from './screens/BalanceScreen.js';
import { ChangePasswordScreen } from './screens/ChangePasswordScreen.js';
import { DepositScreen } from './screens/DepositScreen.js';
import { DoneScreen } from './screens/DoneScreen.js';
import { ErrorScreen } from './screens/ErrorScreen.js';
import { HistoryScreen } from './screens/HistoryScreen.js';
import { LoginScreen } from './screens/LoginScreen.js';
import { MainMenuScreen } from './screens/MainMenuScreen.js';
import { OpenAccountScreen } from './screens/OpenAccountScreen.js';
import { ReceiptScreen } from './screens/ReceiptScreen.js';
import { RegisterScreen } from './screens/RegisterScreen.js';
import { ServeScreen, ServeTotpScreen } from './screens/ServeScreen.js';
import type { Nav, OnSignedIn } from './screens/screen-props.js';
import { TotpLoginScreen } from './screens/TotpLoginScreen.js';
import { TransferScreen } from './screens/TransferScreen.js';
import { TwoFactorScreen } from './screens/TwoFactorScreen.js';
import { UpdateContactScreen } from './screens/UpdateContactScreen.js';
import { WelcomeScreen } from './screens/WelcomeScreen.js';
import { WithdrawScreen } from './screens/WithdrawScreen.js';
import { StatusContext } from './status-context.js';

export interface AppProps {
  connector: BankConnector;
  /** Make the simulated dispenser fail, to demonstrate the automatic reversal. */
  simulateDispenseFailure?: boolean;
  /** The cash dispenser; a simulated one when absent. */
  dispenser?: CashDispenser;
  /** Time source for the idle countdown and receipts; the system clock when absent. */
  clock?: Clock;
  /** Terminal id, printed in the title bar and on receipts. */
  terminal?: string;
}

export const IDLE_LOGOUT_BANNER = 'You were logged out because the session was idle.';
export const LOGOUT_BANNER = 'You are logged out. Thank you for banking with us.';
export const idleReleaseBanner = (customer: string) => `Finished with ${customer}: the session was idle.`;
export const releaseBanner = (customer: string) => `Finished with ${customer}. Who is next?`;

/** The whole ATM: every screen, inside an error boundary that never shows a stack trace. */
export function App(props: AppProps) {
  const [generation, setGeneration] = useState(0);
  const size = useTerminalSize();
  const fits = fitsAtm(size);
  // Too small, the ATM stays mounted (a half-typed form survives) but is not drawn.
  return (
    <TerminalSizeContext.Provider value={size}>
      <KeyboardRoot paused={!fits}>
        {fits || size.redrawing ? null : <Text>{TOO_SMALL_TEXT}</Text>}
        <Box flexDirection="column" display={fits && !size.redrawing ? 'flex' : 'none'}>
          <ErrorBoundary onRestart={() => setGeneration((n) => n + 1)}>
            <Atm key={generation} {...props} />
          </ErrorBoundary>
        </Box>
      </KeyboardRoot>
    </TerminalSizeContext.Provider>
  );
}

function Atm(props: AppProps) {
  const clock = props.clock ?? systemClock;
  const { exit } = useApp();
  const [route, dispatch] = useReducer(navigate, { screen: 'welcome' });
  const dispenser = useMemo(
    () => props.dispenser ?? createSimulatedDispenser({ fail: props.simulateDispenseFailure ?? false }),
    [props.dispenser, props.simulateDispenseFailure],
  );

  const bank = useBankSession({ clock, onLost: (error) => dispatch({ type: 'session-lost', error }) });
  const { session, end } = bank;
  // Known from the login (a code was needed) and kept up to date by the two-factor screen.
  const [twoFactor, setTwoFactor] = useState(false);
  // Once the bank said it opens no accounts here, the next customer is told before typing anything.
  const [registrationClosed, setRegistrationClosed] = useState(false);
  // A teller session's customer at the counter (protocol/README.md §5.2); null while serving no one.
  const [serving, setServing] = useState<string | null>(null);
  const teller = session?.role === 'teller';
  const servingNow = useRef(serving);
  servingNow.current = serving;

  const release = useCallback(
    (banner: (customer: string) => string) => {
      if (serving === null) return;
      setServing(null);
      dispatch({ type: 'go', route: { screen: 'menu', banner: banner(serving) } });
      void session?.release();
    },
    [serving, session],
  );

  const countdown = useIdleCountdown({
    clock,
    idleTimeoutSec: session?.idleTimeoutSec ?? null,
    lastActivityAt: bank.lastActivityAt,
    onExpire: () => {
      // The customer goes first; the teller's own session then gets a countdown of its own.
      if (serving !== null) return release(idleReleaseBanner);
      dispatch({ type: 'reset', banner: IDLE_LOGOUT_BANNER });
      void end('logout');
    },
  });

  // "Press any key": a key during the warning keeps the session by pinging the bank.
  useKeys(() => void session?.ping(), countdown.kind === 'warning');

  const quit = useCallback(() => {
    void end('logout').then(() => exit());
  }, [end, exit]);

  useKeys((input, key) => {
    if (key.ctrl && input === 'c') quit();
  });

  const nav: Nav = useMemo(
    () => ({
      go: (next) => dispatch({ type: 'go', route: next }),
      back: () => dispatch({ type: 'back' }),
      fail: (error: UiError, back?: Route) => {
        if (describeError(error.code).endsSession) void end('close');
        if (error.code === 'REGISTRATION_CLOSED') setRegistrationClosed(true);
        // The bank stopped acting for the customer (released, locked or closed): back to the counter.
        if (servingNow.current !== null && (error.code === 'NOT_SERVING' || error.code === 'ACCOUNT_LOCKED')) {
          setServing(null);
          dispatch({ type: 'fail', error, back: { screen: 'menu' } });
          return;
        }
        dispatch(back === undefined ? { type: 'fail', error } : { type: 'fail', error, back });
      },
    }),
    [end],
  );

  const signedIn: OnSignedIn = useCallback(
    (next, how) => {
      bank.begin(next);
      setServing(null);
      setTwoFactor(how.twoFactor);
      const { banner } = how;
      dispatch({ type: 'go', route: banner === undefined ? { screen: 'menu' } : { screen: 'menu', banner } });
    },
    [bank.begin],
  );

  const onWelcome = (action: WelcomeAction) => {
    if (action === 'quit') quit();
    else if (action === 'register' && registrationClosed) {
      nav.fail({ code: 'REGISTRATION_CLOSED', message: 'the bank opens no accounts here' }, { screen: 'welcome' });
    } else nav.go({ screen: action });
  };

  const onMenu = (action: MainAction) => {
    if (action === 'release') release(releaseBanner);
    else if (action === 'logout') {
      dispatch({ type: 'reset', banner: LOGOUT_BANNER });
      void end('logout');
    } else {
      nav.go({ screen: action });
    }
  };

  // A session can vanish between a notice and the route change it causes.
  const shown: Route = needsSession(route) && session === null ? { screen: 'welcome' } : route;
  // The session's terminal comes from its certificate; an ATM started with a terminal id it
  // could not log in without one, so either names the machine. Neither: a remote session.
  const terminal = session?.terminal ?? props.terminal ?? null;
  const counter = teller && session !== null && serving !== null ? { customer: serving, teller: session.user } : null;
  const status = { countdown, user: session?.user ?? null, terminal, serving: counter };

  return (
    <StatusContext.Provider value={status}>
      <Screen
        route={shown}
        session={session}
        nav={nav}
        clock={clock}
        dispenser={dispenser}
        terminal={terminal}
        twoFactor={twoFactor}
        onTwoFactor={setTwoFactor}
        connector={props.connector}
        onWelcome={onWelcome}
        onMenu={onMenu}
        onSignedIn={signedIn}
        teller={teller ? { customer: serving } : undefined}
        counter={counter ?? undefined}
        onServed={(customer) => {
          setServing(customer);
          dispatch({ type: 'go', route: { screen: 'menu' } });
        }}
        onOpened={(user) =>
          dispatch({
            type: 'go',
            route: { screen: 'menu', banner: `The account ${user} is open. Serve ${user} next?` },
          })
        }
        onRestart={() => dispatch({ type: 'reset' })}
      />
    </StatusContext.Provider>
  );
}

function Screen(props: {
  route: Route;
  session: BankSession | null;
  nav: Nav;
  clock: Clock;
  dispenser: CashDispenser;
  terminal: string | null;
  twoFactor: boolean;
  onTwoFactor: (on: boolean) => void;
  connector: BankConnector;
  onWelcome: (action: WelcomeAction) => void;
  onMenu: (action: MainAction) => void;
  onSignedIn: OnSignedIn;
  teller: { customer: string | null } | undefined;
  counter: { customer: string; teller: string } | undefined;
  onServed: (customer: string) => void;
  onOpened: (user: string) => void;
  onRestart: () => void;
}) {
  const { route, session, nav, clock } = props;
  const toMenu = () => nav.go({ screen: 'menu' });
  switch (route.screen) {
    case 'welcome':
      return <WelcomeScreen banner={route.banner} onChoose={props.onWelcome} />;
    case 'login':
      return (
        <LoginScreen
          key={route.user ?? ''}
          connector={props.connector}
          nav={nav}
          onSignedIn={props.onSignedIn}
          {...(route.user === undefined ? {} : { user: route.user })}
        />
      );
    case 'login-totp':
      return (
        <TotpLoginScreen
          connector={props.connector}
          nav={nav}
          user={route.user}
          password={route.password}
          onSignedIn={props.onSignedIn}
        />
      );
    case 'register':
      return <RegisterScreen connector={props.connector} nav={nav} onSignedIn={props.onSignedIn} />;
    case 'error':
      return (
        <ErrorScreen
          error={route.error}
          continueLabel={route.back.screen === 'welcome' ? 'start again' : 'go back'}
          onContinue={nav.back}
        />
      );
    case 'ended':
      return <ErrorScreen error={route.error} continueLabel="start again" onContinue={props.onRestart} />;
    default:
      break;
  }
  // Everything below needs a session; the App never routes here without one.
  if (session === null) return null;
  const screenProps = { session, nav, clock };
  switch (route.screen) {
    case 'menu':
      return (
        <MainMenuScreen
          user={session.user}
          banner={route.banner}
          twoFactor={props.twoFactor}
          remote={props.terminal === null}
          teller={props.teller}
          onChoose={props.onMenu}
        />
      );
    case 'balance':
      // A customer's balance says whether *their* two-factor is on, not the teller's.
      return <BalanceScreen {...screenProps} onTwoFactor={props.teller ? ignore : props.onTwoFactor} />;
    case 'withdraw':
      return <WithdrawScreen {...screenProps} dispenser={props.dispenser} />;
    case 'deposit':
      return <DepositScreen {...screenProps} />;
    case 'transfer':
      return <TransferScreen {...screenProps} />;
    case 'history':
      return <HistoryScreen {...screenProps} />;
    case 'change-password':
      return <ChangePasswordScreen {...screenProps} />;
    case 'update-contact':
      return <UpdateContactScreen {...screenProps} />;
    case 'two-factor':
      return <TwoFactorScreen {...screenProps} twoFactor={props.twoFactor} onChanged={props.onTwoFactor} />;
    case 'receipt':
      return (
        <ReceiptScreen
          receipt={route.receipt}
          terminal={props.terminal ?? undefined}
          counter={props.counter}
          onDone={toMenu}
        />
      );
    case 'serve':
      return <ServeScreen session={session} nav={nav} onServed={props.onServed} />;
    case 'serve-totp':
      return (
        <ServeTotpScreen
          session={session}
          nav={nav}
          user={route.user}
          password={route.password}
          onServed={props.onServed}
        />
      );
    case 'open-account':
      return <OpenAccountScreen session={session} nav={nav} onOpened={props.onOpened} />;
    case 'done':
      return <DoneScreen title={route.title} lines={route.lines} onDone={toMenu} />;
  }
}

function ignore(): void {}
