import type { ClientError, ClientErrorCode, ClientErrorDetails } from '../client/types.js';
import { formatCents } from './money.js';

/**
 * One table from every error code the ATM can meet to words a card holder understands.
 * Screens switch on the code, never on the server's message.
 */

/** A failure inside the ATM itself (a call that threw instead of returning an outcome). */
export type UiOnlyCode = 'UNEXPECTED';

export type UiErrorCode = ClientErrorCode | UiOnlyCode;

export interface UiError extends ClientErrorDetails {
  code: UiErrorCode;
  message: string;
  /** Extra facts for this case, e.g. the transaction id to quote to the bank. */
  detail?: string;
  /** The connection dropped while no request was waiting for its answer. */
  whileIdle?: boolean;
}

export interface ErrorText {
  title: string;
  advice: string;
  /** The session cannot go on: the ATM drops it and returns to the welcome screen. */
  endsSession: boolean;
}

const ends = true;
const stays = false;

export const ERROR_TEXT: Readonly<Record<UiErrorCode, ErrorText>> = {
  AUTH_FAILED: {
    title: 'User name or password not recognised',
    advice: 'Check both and try again. Several wrong tries in a row lock the account.',
    endsSession: stays,
  },
  ACCOUNT_LOCKED: {
    title: 'Account locked',
    advice: 'There were too many wrong logins. Please ask the bank to unlock your account.',
    endsSession: stays,
  },
  TOTP_REQUIRED: {
    title: 'Two-factor code needed',
    advice: 'Enter the 6-digit code from your authenticator app.',
    endsSession: stays,
  },
  TOTP_INVALID: {
    title: 'That code is not right',
    advice: 'Codes change every 30 seconds. Enter the current code from your authenticator app.',
    endsSession: stays,
  },
  TERMINAL_REQUIRED: {
    title: 'Cash needs an enrolled ATM',
    advice: "This session is not at one of the bank's ATMs, so cash cannot move here. Use a bank ATM.",
    endsSession: stays,
  },
  TERMINAL_REFUSED: {
    title: 'This ATM is not accepted',
    advice: 'The bank does not recognise this machine. Please use another ATM and tell the bank.',
    endsSession: ends,
  },
  TERMINAL_OUT_OF_CASH: {
    title: 'Not enough cash in this ATM',
    advice: 'This machine cannot pay out that much right now. Try a smaller amount or another ATM.',
    endsSession: stays,
  },
  NOT_SERVING: {
    title: 'No customer is being served',
    advice: 'Serve a customer first, then try again.',
    endsSession: stays,
  },
  RATE_LIMITED: {
    title: 'Too many attempts',
    advice: 'Too many failed attempts came from this ATM. Please wait a few minutes and try again.',
    endsSession: stays,
  },
  REGISTRATION_CLOSED: {
    title: 'Accounts cannot be opened here',
    advice: 'This bank does not open accounts at the ATM. Please ask at a branch.',
    endsSession: stays,
  },
  USER_EXISTS: {
    title: 'That user name is taken',
    advice: 'Please choose a different user name.',
    endsSession: stays,
  },
  WEAK_PASSWORD: {
    title: 'Password too weak',
    advice: 'Use at least 12 characters with upper and lower case letters, a digit and a symbol.',
    endsSession: stays,
  },
  UNSUPPORTED_PROTOCOL: {
    title: 'This ATM is out of date',
    advice: 'The bank speaks a newer protocol. Please use another ATM and report this one.',
    endsSession: ends,
  },
  PROTOCOL_ERROR: {
    title: 'The bank could not understand this ATM',
    advice: 'Please try again. If it keeps happening, report this ATM to the bank.',
    endsSession: ends,
  },
  INVALID_REQUEST: {
    title: 'The bank refused the request',
    advice: 'Something in the request was not valid. Nothing was changed; please try again.',
    endsSession: stays,
  },
  INVALID_AMOUNT: {
    title: 'Amount not accepted',
    advice: "Enter an amount in dollars and cents within the bank's limit for one transaction.",
    endsSession: stays,
  },
  INSUFFICIENT_FUNDS: {
    title: 'Insufficient funds',
    advice: 'Your balance is too low for this amount. Check your balance and try a smaller amount.',
    endsSession: stays,
  },
  LIMIT_EXCEEDED: {
    title: 'Daily withdrawal limit reached',
    advice: "This would go over today's withdrawal limit. Try a smaller amount, or come back tomorrow.",
    endsSession: stays,
  },
  UNKNOWN_ACCOUNT: {
    title: 'No such account',
    advice: 'Check the user name of the person you are paying and try again.',
    endsSession: stays,
  },
  SAME_ACCOUNT: {
    title: 'That is your own account',
    advice: 'A transfer must go to someone else. Choose a different account.',
    endsSession: stays,
  },
  UNKNOWN_TX: {
    title: 'Transaction not found',
    advice: 'The bank has no such withdrawal on this account. Please contact the bank.',
    endsSession: stays,
  },
  NOT_REVERSIBLE: {
    title: 'The withdrawal cannot be reversed',
    advice: 'It was already reversed or is too old. Please contact the bank with the transaction id.',
    endsSession: stays,
  },
  IDEMPOTENCY_CONFLICT: {
    title: 'Request mix-up',
    advice: 'The bank saw this request before with different details. Nothing was changed; please start again.',
    endsSession: stays,
  },
  FRAUD_HOLD: {
    title: 'Held for a security review',
    advice: 'This transaction was stopped for your protection. Please contact the bank.',
    endsSession: stays,
  },
  SERVER_BUSY: {
    title: 'The bank is busy',
    advice: 'Nothing was changed. Please try again in a moment.',
    endsSession: stays,
  },
  INTERNAL: {
    title: 'The bank had a problem',
    advice: 'Nothing was changed. Please try again later.',
    endsSession: stays,
  },
  CONNECTION_LOST: {
    title: 'Connection lost',
    advice: 'The connection dropped before the bank confirmed. Log in again and check your balance before retrying.',
    endsSession: ends,
  },
  CONNECT_FAILED: {
    title: 'Cannot reach the bank',
    advice: 'The bank is not answering. Please try again later.',
    endsSession: ends,
  },
  TLS_ERROR: {
    title: 'Secure connection failed',
    advice: "The bank's identity could not be verified, so nothing was sent. Please report this ATM.",
    endsSession: ends,
  },
  TIMEOUT: {
    title: 'The bank did not answer in time',
    advice: 'Check your balance before trying again.',
    endsSession: stays,
  },
  SESSION_EXPIRED: {
    title: 'Session ended',
    advice: 'You were logged out after a while without activity. Please log in again.',
    endsSession: ends,
  },
  SERVER_SHUTDOWN: {
    title: 'The bank is closing',
    advice: 'The bank service is shutting down for maintenance. Please try again later.',
    endsSession: ends,
  },
  BAD_SERVER_MESSAGE: {
    title: 'Unexpected answer from the bank',
    advice: 'For your safety the session was ended. Log in again and check your balance.',
    endsSession: ends,
  },
  SESSION_CLOSED: {
    title: 'Session closed',
    advice: 'The connection to the bank is closed. Please log in again.',
    endsSession: ends,
  },
  UNEXPECTED: {
    title: 'Something went wrong',
    advice: 'The ATM hit an unexpected problem. Check your balance before trying again.',
    endsSession: ends,
  },
};

/** The words for any code; an unknown code (a newer server) gets the generic text. */
export function describeError(code: string): ErrorText {
  return Object.hasOwn(ERROR_TEXT, code) ? ERROR_TEXT[code as UiErrorCode] : ERROR_TEXT.UNEXPECTED;
}

/** Turns a thrown value into an error the screens can show, without its stack. */
export function unexpectedError(): UiError {
  return { code: 'UNEXPECTED', message: 'unexpected failure inside the ATM' };
}

/** Widens a client error to a UI error, keeping the numbers the bank sent with it. */
export function fromClientError(error: ClientError): UiError {
  const { requestId: _requestId, ...rest } = error;
  return rest;
}

/** The words for one error, with the numbers and reasons the bank sent put into them. */
export function describeUiError(error: UiError): ErrorText {
  const text = describeError(error.code);
  if (error.code === 'TOTP_INVALID' && error.reason === 'USED') return { ...text, ...USED_CODE_TEXT };
  if (error.code === 'CONNECTION_LOST' && error.whileIdle) {
    return {
      ...text,
      advice:
        'The connection to the bank dropped while nothing was in progress, so nothing changed. Please log in again.',
    };
  }
  if (error.code === 'LIMIT_EXCEEDED' && error.remainingCents !== undefined) {
    return { ...text, advice: limitAdvice(error.remainingCents) };
  }
  if (error.code === 'INVALID_AMOUNT' && error.maxAmountCents !== undefined) {
    return { ...text, advice: `The most one transaction can move is ${formatCents(error.maxAmountCents)}.` };
  }
  return text;
}

export const USED_CODE_TEXT = {
  title: 'That code was already used',
  advice: 'Each code works once. Wait for the next code (a new one every 30 seconds) and enter that.',
} as const;

/** "You can withdraw $120.00 more today", or that nothing is left. */
export function limitAdvice(remainingCents: number): string {
  return remainingCents > 0
    ? `You can withdraw ${formatCents(remainingCents)} more today. Try that much or less, or come back tomorrow.`
    : "You have used all of today's withdrawal limit. Please come back tomorrow.";
}
