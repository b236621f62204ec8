// @ts-check
/**
 * A small drawing canvas (white ink on black, as MNIST) for the trained
 * layer's input. It also shows a held-out sample digit when one is picked.
 */

import { CANVAS_BACKGROUND, CANVAS_INK, INPUT_SIDE } from "../config.js";

/**
 * Stroke width as a fraction of the canvas side: 22 units on the main
 * page's 280-unit canvas, which the server turns into MNIST-like strokes.
 */
const STROKE_FRACTION = 22 / 280;

/** Drawing canvas for mouse, touch and pen input. */
export class DigitPad {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {(png: string) => void} onStrokeEnd Called with the canvas as a
   *   PNG data URL after each stroke.
   */
  constructor(canvas, onStrokeEnd) {
    const context = canvas.getContext("2d");
    if (!context) {
      throw new Error("The browser did not provide a 2D canvas context.");
    }
    this.canvas = canvas;
    this.context = context;
    this.onStrokeEnd = onStrokeEnd;
    /** @type {{ x: number, y: number } | null} */
    this.lastPoint = null;
    this.clear();

    canvas.addEventListener("pointerdown", (event) => {
      canvas.setPointerCapture(event.pointerId);
      this.lastPoint = this.toCanvas(event);
      this.line(this.lastPoint, this.lastPoint);
    });
    canvas.addEventListener("pointermove", (event) => {
      if (this.lastPoint) {
        const point = this.toCanvas(event);
        this.line(this.lastPoint, point);
        this.lastPoint = point;
      }
    });
    const end = () => {
      if (this.lastPoint) {
        this.lastPoint = null;
        this.onStrokeEnd(canvas.toDataURL("image/png"));
      }
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
  }

  /** Paints the canvas black. */
  clear() {
    this.context.fillStyle = CANVAS_BACKGROUND;
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /**
   * Converts a pointer position to canvas pixels.
   *
   * @param {PointerEvent} event
   */
  toCanvas(event) {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) / box.width) * this.canvas.width,
      y: ((event.clientY - box.top) / box.height) * this.canvas.height,
    };
  }

  /**
   * Draws a round-capped line segment.
   *
   * @param {{ x: number, y: number }} from
   * @param {{ x: number, y: number }} to
   */
  line(from, to) {
    const context = this.context;
    context.strokeStyle = CANVAS_INK;
    context.lineWidth = STROKE_FRACTION * this.canvas.width;
    context.lineCap = "round";
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x, to.y);
    context.stroke();
  }

  /**
   * Shows a 28×28 image (values in 0..1, white ink on black).
   *
   * @param {number[][]} image
   */
  showImage(image) {
    const pixels = new ImageData(INPUT_SIDE, INPUT_SIDE);
    image.flat().forEach((value, index) => {
      const level = Math.round(Math.min(Math.max(value, 0), 1) * 255);
      pixels.data.set([level, level, level, 255], index * 4);
    });
    const small = document.createElement("canvas");
    small.width = INPUT_SIDE;
    small.height = INPUT_SIDE;
    small.getContext("2d")?.putImageData(pixels, 0, 0);
    this.context.imageSmoothingEnabled = false;
    this.context.drawImage(small, 0, 0, this.canvas.width, this.canvas.height);
  }
}
