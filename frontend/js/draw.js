// @ts-check
/**
 * The drawing canvas (Pointer Events for mouse, touch and pen) and the queue
 * that turns canvas changes into prediction requests, dropping stale
 * responses.
 */

import {
  CANVAS_BACKGROUND,
  CANVAS_INK,
  CANVAS_SIDE,
  INPUT_SIDE,
  MAX_CANVAS_SCALE,
} from "./config.js";

/** Drawing canvas for mouse, touch and pen input, white ink on black. */
export class DrawingPad {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {object} options
   * @param {number} options.strokeWidth Stroke width in canvas units.
   * @param {() => void} options.onChange Called after each drawn segment.
   * @param {() => void} options.onStrokeEnd Called when a stroke ends.
   */
  constructor(canvas, { strokeWidth, onChange, onStrokeEnd }) {
    this.canvas = canvas;
    this.strokeWidth = strokeWidth;
    this.onChange = onChange;
    this.onStrokeEnd = onStrokeEnd;
    /** True once anything was drawn or shown since the last clear. */
    this.hasInk = false;
    /** @type {{ x: number, y: number } | null} Last point of the stroke. */
    this.lastPoint = null;
    /** @type {number | null} Pointer that draws the current stroke. */
    this.activePointer = null;

    const context = canvas.getContext("2d");
    if (!context) {
      throw new Error("The browser did not provide a 2D canvas context.");
    }
    this.context = context;
    this.resize();
    this.clear();

    canvas.addEventListener("pointerdown", (event) => this.startStroke(event));
    canvas.addEventListener("pointermove", (event) => this.extendStroke(event));
    canvas.addEventListener("pointerup", (event) => this.endStroke(event));
    canvas.addEventListener("pointercancel", (event) => this.endStroke(event));
  }

  /**
   * Sizes the backing store to CANVAS_SIDE times the device pixel ratio,
   * capped so that the exported PNG stays within the server's size limit.
   * Drawing code works in CANVAS_SIDE units whatever the CSS size.
   */
  resize() {
    const scale = Math.min(window.devicePixelRatio || 1, MAX_CANVAS_SCALE);
    this.canvas.width = Math.round(CANVAS_SIDE * scale);
    this.canvas.height = Math.round(CANVAS_SIDE * scale);
    this.context.setTransform(scale, 0, 0, scale, 0, 0);
  }

  /** Paints the background over everything and resets `hasInk`. */
  clear() {
    this.context.fillStyle = CANVAS_BACKGROUND;
    this.context.fillRect(0, 0, CANVAS_SIDE, CANVAS_SIDE);
    this.hasInk = false;
    this.lastPoint = null;
  }

  /**
   * Shows a 28×28 image scaled up to the whole canvas, one square per pixel.
   *
   * @param {number[][]} image Rows of values in 0..1, white ink on black.
   */
  showImage(image) {
    const pixels = new ImageData(INPUT_SIDE, INPUT_SIDE);
    for (let row = 0; row < INPUT_SIDE; row++) {
      for (let column = 0; column < INPUT_SIDE; column++) {
        const grey = Math.round(255 * image[row][column]);
        const offset = 4 * (row * INPUT_SIDE + column);
        pixels.data[offset] = grey;
        pixels.data[offset + 1] = grey;
        pixels.data[offset + 2] = grey;
        pixels.data[offset + 3] = 255;
      }
    }
    const small = document.createElement("canvas");
    small.width = INPUT_SIDE;
    small.height = INPUT_SIDE;
    small.getContext("2d")?.putImageData(pixels, 0, 0);

    this.clear();
    this.context.imageSmoothingEnabled = false;
    this.context.drawImage(small, 0, 0, CANVAS_SIDE, CANVAS_SIDE);
    this.hasInk = true;
  }

  /**
   * Returns the canvas as a PNG data URL, the format POST /predict accepts.
   *
   * @returns {string}
   */
  toPng() {
    return this.canvas.toDataURL("image/png");
  }

  /**
   * Converts an event's position to canvas units (0..CANVAS_SIDE), so that
   * drawing stays under the pointer when CSS resizes the canvas.
   *
   * @param {PointerEvent} event
   */
  pointFromEvent(event) {
    const rect = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - rect.left) * CANVAS_SIDE) / rect.width,
      y: ((event.clientY - rect.top) * CANVAS_SIDE) / rect.height,
    };
  }

  /**
   * Returns the stroke width for an event. Only pens scale it by pressure,
   * from 0.5 to 1.5 times the chosen width. Devices without pressure
   * support, such as mice, report 0.5 while a button is pressed.
   *
   * @param {PointerEvent} event
   */
  widthForEvent(event) {
    if (event.pointerType !== "pen" || event.pressure === 0) {
      return this.strokeWidth;
    }
    return this.strokeWidth * (0.5 + event.pressure);
  }

  /** @param {PointerEvent} event */
  startStroke(event) {
    if (this.activePointer !== null || event.button !== 0) {
      return;
    }
    event.preventDefault();
    this.activePointer = event.pointerId;
    this.canvas.setPointerCapture(event.pointerId);

    // A click without movement leaves a round dot.
    const point = this.pointFromEvent(event);
    this.context.fillStyle = CANVAS_INK;
    this.context.beginPath();
    const radius = this.widthForEvent(event) / 2;
    this.context.arc(point.x, point.y, radius, 0, 2 * Math.PI);
    this.context.fill();
    this.lastPoint = point;
    this.hasInk = true;
    this.onChange();
  }

  /** @param {PointerEvent} event */
  extendStroke(event) {
    if (event.pointerId !== this.activePointer || !this.lastPoint) {
      return;
    }
    event.preventDefault();
    // Coalesced events keep fast strokes smooth where the browser merged
    // several pointer positions into one event.
    const events = event.getCoalescedEvents?.() ?? [];
    for (const part of events.length > 0 ? events : [event]) {
      const point = this.pointFromEvent(part);
      this.context.strokeStyle = CANVAS_INK;
      this.context.lineWidth = this.widthForEvent(part);
      this.context.lineCap = "round";
      this.context.lineJoin = "round";
      this.context.beginPath();
      this.context.moveTo(this.lastPoint.x, this.lastPoint.y);
      this.context.lineTo(point.x, point.y);
      this.context.stroke();
      this.lastPoint = point;
    }
    this.onChange();
  }

  /** @param {PointerEvent} event */
  endStroke(event) {
    if (event.pointerId !== this.activePointer) {
      return;
    }
    this.activePointer = null;
    this.lastPoint = null;
    if (this.canvas.hasPointerCapture(event.pointerId)) {
      this.canvas.releasePointerCapture(event.pointerId);
    }
    this.onStrokeEnd();
  }
}

/**
 * Runs prediction requests and delivers only responses newer than the last
 * one shown. Each request gets a sequence number, so a slow response that
 * arrives after a faster, newer one is dropped, and so is every response to
 * a request sent before the last cancel(). Errors count as responses.
 *
 * @template T
 */
export class PredictionQueue {
  /**
   * @param {object} options
   * @param {number} options.delayMs Window in which changes share a request.
   * @param {(result: T) => void} options.onResult
   * @param {(error: unknown) => void} options.onError
   */
  constructor({ delayMs, onResult, onError }) {
    this.delayMs = delayMs;
    this.onResult = onResult;
    this.onError = onError;
    /** Sequence number of the last request sent. */
    this.lastSent = 0;
    /** Sequence number of the last response delivered or cancelled. */
    this.lastShown = 0;
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.timer = null;
    /** @type {(() => Promise<T>) | null} Request waiting for the timer. */
    this.pendingRequest = null;
  }

  /**
   * Sends `request` after the delay. Later calls within the delay replace
   * the waiting request but do not restart the timer, so predictions keep
   * updating during a long stroke.
   *
   * @param {() => Promise<T>} request
   */
  schedule(request) {
    this.pendingRequest = request;
    if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        const waiting = this.pendingRequest;
        this.pendingRequest = null;
        if (waiting) {
          this.send(waiting);
        }
      }, this.delayMs);
    }
  }

  /**
   * Sends `request` at once, replacing any waiting one.
   *
   * @param {() => Promise<T>} request
   */
  sendNow(request) {
    this.cancelTimer();
    this.send(request);
  }

  /** Drops the waiting request and every response still in flight. */
  cancel() {
    this.cancelTimer();
    this.lastShown = this.lastSent;
  }

  cancelTimer() {
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.pendingRequest = null;
  }

  /**
   * @param {() => Promise<T>} request
   */
  async send(request) {
    this.lastSent += 1;
    const sequence = this.lastSent;
    try {
      const result = await request();
      if (sequence > this.lastShown) {
        this.lastShown = sequence;
        this.onResult(result);
      }
    } catch (error) {
      if (sequence > this.lastShown) {
        this.lastShown = sequence;
        this.onError(error);
      }
    }
  }
}
