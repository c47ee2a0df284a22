/** "5 minutes", "1 minute", or "90 seconds" when it is not a whole number of minutes. */
export function describeDuration(seconds: number): string {
  const whole = Math.round(seconds);
  return whole % 60 === 0 ? `${whole / 60} minute${whole === 60 ? '' : 's'}` : `${whole} seconds`;
}
