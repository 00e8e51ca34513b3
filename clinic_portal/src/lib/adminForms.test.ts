import { describe, expect, it } from "vitest";
import {
  fieldErrors,
  guessMemberField,
  guessOrganisationField,
  MEMBER_ALIASES,
  MEMBER_FIELDS,
  memberBody,
  missingMemberFields,
  ORGANISATION_FIELDS,
} from "./adminForms";

describe("the administrator's forms", () => {
  it("names the empty fields of a new member", () => {
    expect(missingMemberFields({ fullName: " ", email: "", password: "", roles: [] })).toEqual([
      "full_name",
      "email",
      "password",
      "roles",
    ]);
    expect(missingMemberFields({ fullName: "Noor", email: "n@h.demo", password: "x", roles: ["nurse"] })).toEqual([]);
  });

  it("sends the first role as the role and the others as extra roles", () => {
    expect(
      memberBody({ fullName: " Noor Newhire ", email: " n@h.demo ", password: " p ", roles: ["nurse", "helpdesk"] }),
    ).toEqual({ full_name: "Noor Newhire", email: "n@h.demo", password: " p ", role: "nurse", extra_roles: ["helpdesk"] });
  });

  it("puts the service's validation errors next to their fields", () => {
    const problem = {
      status: 422,
      detail: "The request is not valid",
      errors: [
        { loc: ["body", "email"], msg: "value is not a valid email address" },
        { loc: ["body", "extra_roles", "0"], msg: "String should have at most 32 characters" },
        { loc: ["query", "limit"], msg: "too large" },
      ],
    };
    expect(fieldErrors(problem, MEMBER_FIELDS, MEMBER_ALIASES, guessMemberField)).toEqual({
      email: "Value is not a valid email address.",
      roles: "String should have at most 32 characters.",
      form: "Too large.",
    });
  });

  it("places a refusal in words by what it is about", () => {
    const weak = { status: 422, detail: "the password is too weak: this is a very common password" };
    expect(fieldErrors(weak, MEMBER_FIELDS, MEMBER_ALIASES, guessMemberField)).toEqual({
      password: "The password is too weak: this is a very common password.",
    });
    const taken = { status: 409, detail: "an account with this email already exists" };
    expect(fieldErrors(taken, MEMBER_FIELDS, MEMBER_ALIASES, guessMemberField)).toHaveProperty("email");
    const role = { status: 422, detail: "a lab cannot have members with the role 'nurse'" };
    expect(fieldErrors(role, MEMBER_FIELDS, MEMBER_ALIASES, guessMemberField)).toHaveProperty("roles");
    const other = { status: 409, detail: "the organisation is deactivated" };
    expect(fieldErrors(other, MEMBER_FIELDS, MEMBER_ALIASES, guessMemberField)).toEqual({
      form: "The organisation is deactivated.",
    });
    expect(fieldErrors(undefined, MEMBER_FIELDS)).toEqual({});
  });

  it("places an organisation's refusals by field", () => {
    const problem = { errors: [{ loc: ["body", "kind"], msg: "Input should be 'hospital', 'clinic'" }] };
    expect(fieldErrors(problem, ORGANISATION_FIELDS, {}, guessOrganisationField)).toEqual({
      kind: "Input should be 'hospital', 'clinic'.",
    });
    expect(guessOrganisationField("the name holds control characters")).toBe("name");
  });
});
