/**
 * Time control. Simulated durations (a 10-minute restore, a 2-minute index rebuild) are divided by `speed` to get
 * the real time they take: at 60×, a 10-minute restore finishes 10 s after it starts. Timestamps stay on the wall
 * clock, as real Heroku's do, so clients comparing them with their own time see nothing odd.
 */
export class SimulatedTime {
  private currentSpeed: number;

  constructor(speed = 1) {
    this.currentSpeed = SimulatedTime.check(speed);
  }

  get speed(): number {
    return this.currentSpeed;
  }

  set speed(value: number) {
    this.currentSpeed = SimulatedTime.check(value);
  }

  /** Real milliseconds that a simulated duration takes at the current speed. */
  realMs(simulatedMs: number): number {
    return simulatedMs / this.currentSpeed;
  }

  /** Simulated milliseconds that `realMs` of real time amount to at the current speed. */
  simulatedMs(realMs: number): number {
    return realMs * this.currentSpeed;
  }

  private static check(speed: number): number {
    if (!Number.isFinite(speed) || speed <= 0) throw new RangeError(`speed must be a positive number, got ${speed}`);
    return speed;
  }
}
