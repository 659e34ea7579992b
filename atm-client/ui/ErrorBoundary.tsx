import { Component, type ReactNode } from 'react';
import { CrashScreen } from './screens/CrashScreen.js';

/**
 * Catches anything a screen throws while rendering and shows a plain "out of order"
 * screen: a customer never sees a stack trace. Enter remounts the ATM from the start.
 */
export class ErrorBoundary extends Component<{ children: ReactNode; onRestart: () => void }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override render(): ReactNode {
    if (!this.state.failed) return this.props.children;
    return (
      <CrashScreen
        onRestart={() => {
          this.props.onRestart();
          this.setState({ failed: false });
        }}
      />
    );
  }
}
