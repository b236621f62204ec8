// @ts-check
/**
 * The number inputs of the conv page's size table. Each is read as a whole
 * number within its limits, and an invalid value is explained in a message
 * row right under the input's row, with the range that is allowed.
 */

/** @typedef {{ min: number, max: number }} Limit */

/**
 * Returns why an input's text is not a whole number within `limit`, or null
 * when it is one.
 *
 * @param {string} label The input's name, such as "Input width".
 * @param {string} text The input's value. A number input reads "" for text
 *   that is not a number.
 * @param {Limit} limit
 * @returns {string | null}
 */
export function describeInvalid(label, text, limit) {
  const range = `Use a whole number from ${limit.min} to ${limit.max}.`;
  const trimmed = text.trim();
  if (trimmed === "") {
    return `${label}: a number is missing. ${range}`;
  }
  const value = Number(trimmed);
  if (!Number.isInteger(value)) {
    return `${label}: ${trimmed} is not a whole number. ${range}`;
  }
  if (value < limit.min || value > limit.max) {
    return `${label}: ${trimmed} is out of range. ${range}`;
  }
  return null;
}

/** Reads number inputs within their limits and explains invalid ones. */
export class NumberFields {
  /**
   * Adds a hidden message row under every row of `table` that has inputs.
   *
   * @param {HTMLTableElement} table
   * @param {(problems: string[]) => void} onProblems Called with every
   *   message shown, one sentence each, whenever they change.
   */
  constructor(table, onProblems) {
    this.onProblems = onProblems;
    /** @type {Map<string, string>} Message of each invalid input, by id. */
    this.problems = new Map();
    for (const row of Array.from(table.tBodies[0].rows)) {
      const inputs = row.querySelectorAll("input");
      if (inputs.length === 0) {
        continue;
      }
      const messageRow = document.createElement("tr");
      messageRow.className = "conv-sizes__message";
      messageRow.hidden = true;
      const cell = messageRow.insertCell();
      cell.colSpan = row.cells.length;
      for (const input of inputs) {
        const message = document.createElement("span");
        message.id = `${input.id}-error`;
        message.className = "conv-field-error";
        input.setAttribute("aria-describedby", message.id);
        cell.append(message);
      }
      row.after(messageRow);
    }
  }

  /**
   * Returns an input's value when it is a whole number within `limit`,
   * otherwise null, and shows or clears its message.
   *
   * @param {HTMLInputElement} input
   * @param {Limit} limit
   * @returns {number | null}
   */
  read(input, limit) {
    const label = input.getAttribute("aria-label") ?? input.id;
    const problem = describeInvalid(label, input.value, limit);
    this.mark(input, problem);
    return problem === null ? Number(input.value) : null;
  }

  /**
   * Writes a value into an input unless the user is typing in it, and
   * clears its message.
   *
   * @param {HTMLInputElement} input
   * @param {number} value
   */
  write(input, value) {
    if (document.activeElement !== input) {
      input.value = String(value);
      this.mark(input, null);
    }
  }

  /**
   * Clears the message of an input whose value is not used, such as the
   * height in 1-D.
   *
   * @param {HTMLInputElement} input
   */
  ignore(input) {
    this.mark(input, null);
  }

  /**
   * Shows or clears an input's message and reports a changed set.
   *
   * @param {HTMLInputElement} input
   * @param {string | null} problem
   */
  mark(input, problem) {
    const message = document.getElementById(`${input.id}-error`);
    if (message) {
      message.textContent = problem ?? "";
      const row = message.closest("tr");
      if (row) {
        row.hidden = Array.from(row.querySelectorAll("span")).every(
          (span) => span.textContent === "",
        );
      }
    }
    input.classList.toggle("conv-input--invalid", problem !== null);
    if (problem === null) {
      input.removeAttribute("aria-invalid");
    } else {
      input.setAttribute("aria-invalid", "true");
    }

    const before = this.problems.get(input.id) ?? null;
    if (problem === before) {
      return;
    }
    if (problem === null) {
      this.problems.delete(input.id);
    } else {
      this.problems.set(input.id, problem);
    }
    this.onProblems(Array.from(this.problems.values()));
  }
}
