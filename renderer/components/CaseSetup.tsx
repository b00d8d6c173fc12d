import { useEffect, useState } from 'react';
import type { CutPlan, Level, Side } from '../../src/domain';
import { LEVELS, MUSCLE_CODES, SIDES } from '../../src/domain';
import { useStore, useUi } from '../state/context';
import { draftFromMontage, parseRoots, validateMontageDraft, type MontageRowDraft } from '../montageDraft';

type PlanDraft = Record<Level, Record<Side, string>>;

function emptyPlan(): PlanDraft {
  return Object.fromEntries(LEVELS.map((l) => [l, { L: '', R: '' }])) as PlanDraft;
}

function planDraftFrom(plan: CutPlan): PlanDraft {
  const d = emptyPlan();
  for (const l of LEVELS) for (const s of SIDES) {
    const v = plan[l]?.[s];
    d[l][s] = v === undefined ? '' : String(v);
  }
  return d;
}

/** Parses the plan grid; blank cells mean "no plan for that level/side". */
function parsePlan(d: PlanDraft): { plan: CutPlan; errors: string[] } {
  const plan: CutPlan = {};
  const errors: string[] = [];
  for (const l of LEVELS) for (const s of SIDES) {
    const text = d[l][s].trim();
    if (text === '') continue;
    const v = Number(text);
    if (!Number.isFinite(v) || v < 0 || v > 100) {
      errors.push(`cut plan ${l} ${s}: enter a % between 0 and 100`);
      continue;
    }
    plan[l] = { ...(plan[l] ?? {}), [s]: v };
  }
  return { plan, errors };
}

function PlanGrid(props: { value: PlanDraft; onChange: (d: PlanDraft) => void }) {
  return (
    <div className="plan-grid" role="group" aria-label="Cut plan">
      <span className="muted">level</span><span className="muted">left %</span><span className="muted">right %</span>
      {LEVELS.map((l) => (
        <PlanRow key={l} level={l} value={props.value} onChange={props.onChange} />
      ))}
    </div>
  );
}

function PlanRow(props: { level: Level; value: PlanDraft; onChange: (d: PlanDraft) => void }) {
  const { level, value } = props;
  return (
    <>
      <b>{level}</b>
      {SIDES.map((s) => {
        const text = value[level][s];
        const n = Number(text);
        const invalid = text.trim() !== '' && (!Number.isFinite(n) || n < 0 || n > 100);
        return (
          <input key={s} inputMode="decimal" value={text} aria-label={`plan ${level} ${s}`} aria-invalid={invalid}
            onChange={(e) => props.onChange({ ...value, [level]: { ...value[level], [s]: e.target.value } })} />
        );
      })}
    </>
  );
}

function NewCaseForm() {
  const store = useStore();
  const [patientId, setPatientId] = useState('');
  const [age, setAge] = useState('');
  const [diagnosis, setDiagnosis] = useState('spastic diplegia');
  const [plan, setPlan] = useState<PlanDraft>(emptyPlan);
  const [errors, setErrors] = useState<string[]>([]);
  const [saving, setSaving] = useState(false);
  const submit = async () => {
    const errs: string[] = [];
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(patientId)) errs.push("patient id: a pseudonym of letters, digits, '.', '_' or '-' (no names)");
    const ageYears = Number(age);
    if (age.trim() === '' || !Number.isFinite(ageYears) || ageYears < 0 || ageYears > 120) errs.push('age: years between 0 and 120');
    const p = parsePlan(plan);
    errs.push(...p.errors);
    setErrors(errs);
    if (errs.length) return;
    setSaving(true);
    const err = await store.createCase({ patientId, ageYears, diagnosis, cutPlan: p.plan });
    setSaving(false);
    if (err) setErrors([err]);
  };
  return (
    <section className="panel scroll" aria-label="New case">
      <h2>New case</h2>
      <form onSubmit={(e) => { e.preventDefault(); void submit(); }} className="form-col">
        <div className="grid2">
          <label className="field">patient id (pseudonym)<input value={patientId} onChange={(e) => setPatientId(e.target.value)} data-testid="new-patient" /></label>
          <label className="field">age (years)<input inputMode="decimal" value={age} onChange={(e) => setAge(e.target.value)} data-testid="new-age" /></label>
        </div>
        <label className="field">diagnosis<input value={diagnosis} onChange={(e) => setDiagnosis(e.target.value)} data-testid="new-diagnosis" /></label>
        <h2>Cut plan (% of rootlets per level)</h2>
        <PlanGrid value={plan} onChange={setPlan} />
        {errors.length > 0 && <ul className="errors" data-testid="case-errors">{errors.map((e) => <li key={e}>{e}</li>)}</ul>}
        <button className="btn primary" type="submit" disabled={saving} data-testid="create-case">{saving ? 'Creating\u2026' : 'Create and open case'}</button>
      </form>
    </section>
  );
}

function OpenCase(props: { onNew: () => void }) {
  const store = useStore();
  const ui = useUi();
  const c = ui.caseDetail!;
  const [plan, setPlan] = useState<PlanDraft>(() => planDraftFrom(c.case.cutPlan));
  const [planMsg, setPlanMsg] = useState<string[]>([]);
  const [rows, setRows] = useState<MontageRowDraft[]>(() => draftFromMontage(c.montage));
  const [montageMsg, setMontageMsg] = useState<string | null>(null);
  useEffect(() => {
    setPlan(planDraftFrom(c.case.cutPlan));
  }, [c.case.id, c.case.cutPlan]);
  useEffect(() => {
    setRows(draftFromMontage(c.montage));
  }, [c.case.id, c.montage]);
  const montageErrors = validateMontageDraft(rows);
  const savePlan = async () => {
    const p = parsePlan(plan);
    if (p.errors.length) return setPlanMsg(p.errors);
    const err = await store.updatePlan(p.plan);
    setPlanMsg([err ?? 'plan saved']);
  };
  const saveMontage = async () => {
    if (montageErrors.length) return;
    const err = await store.updateMontage({
      name: c.montage.name,
      channels: rows.map((r) => ({ side: r.side.toUpperCase(), muscle: r.muscle.toUpperCase(), roots: parseRoots(r.rootsText) })),
    });
    setMontageMsg(err ?? 'montage saved');
  };
  const setRow = (i: number, patch: Partial<MontageRowDraft>) => setRows(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  return (
    <>
      <section className="panel scroll col" aria-label="Case">
        <div className="row"><h2>Case</h2><span className="spacer" /><button className="btn" onClick={props.onNew}>New case</button></div>
        <dl className="kv">
          <dt>patient</dt><dd data-testid="case-patient">{c.case.patientId}</dd>
          <dt>age</dt><dd>{`${c.case.ageYears} y`}</dd>
          <dt>diagnosis</dt><dd>{c.case.diagnosis || '\u2013'}</dd>
          <dt>created</dt><dd>{new Date(c.case.createdAt).toLocaleString()}</dd>
          <dt>tested / cut</dt><dd>{`${c.case.rootletsTested} / ${c.case.rootletsCut}`}</dd>
        </dl>
        <h2>Cut plan</h2>
        <PlanGrid value={plan} onChange={setPlan} />
        <button className="btn" onClick={() => void savePlan()}>Save plan</button>
        {planMsg.length > 0 && <ul className="errors">{planMsg.map((m) => <li key={m}>{m}</li>)}</ul>}
        <CaseList />
      </section>
      <section className="panel scroll" aria-label="Montage">
        <div className="row">
          <h2>{`Montage \u00b7 ${c.montage.name} \u00b7 ${rows.length} channels`}</h2>
          <span className="spacer" />
          <button className="btn" onClick={() => setRows([...rows, { side: 'L', muscle: 'DELT', rootsText: '' }])}>Add channel</button>
          <button className="btn" onClick={() => setRows(draftFromMontage(c.montage))}>Revert</button>
          <button className="btn primary" disabled={montageErrors.length > 0} onClick={() => void saveMontage()} data-testid="save-montage">Save montage</button>
        </div>
        {montageErrors.length > 0 && <ul className="errors" data-testid="montage-errors">{montageErrors.map((e) => <li key={e}>{e}</li>)}</ul>}
        {montageMsg && <div className={montageMsg === 'montage saved' ? 'ok-text' : 'bad-text'}>{montageMsg}</div>}
        <table className="montage-table">
          <thead><tr><th>ch</th><th>side</th><th>muscle</th><th>roots (dominant first)</th><th /></tr></thead>
          <tbody>
            {rows.map((r, i) => (
              <tr key={i}>
                <td className="num">{i}</td>
                <td>
                  <select value={r.side} onChange={(e) => setRow(i, { side: e.target.value })} aria-label={`channel ${i} side`}>
                    {SIDES.map((s) => <option key={s} value={s}>{s}</option>)}
                  </select>
                </td>
                <td>
                  <select value={r.muscle} onChange={(e) => setRow(i, { muscle: e.target.value })} aria-label={`channel ${i} muscle`}>
                    {MUSCLE_CODES.map((m) => <option key={m} value={m}>{m}</option>)}
                  </select>
                </td>
                <td><input value={r.rootsText} onChange={(e) => setRow(i, { rootsText: e.target.value })} aria-label={`channel ${i} roots`} /></td>
                <td><button className="btn" onClick={() => setRows(rows.filter((_, j) => j !== i))} aria-label={`remove channel ${i}`}>{'\u2715'}</button></td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}

function CaseList() {
  const ui = useUi();
  const store = useStore();
  if (ui.cases.length === 0) return null;
  return (
    <>
      <h2>Cases</h2>
      <ul className="case-list">
        {ui.cases.map((c) => (
          <li key={c.id}>
            <span>{`${c.patientId} \u00b7 ${c.ageYears} y \u00b7 ${c.rootletsTested} tested`}</span>
            {ui.caseDetail?.case.id === c.id ? <span className="ok-text">open</span> : <button className="btn" onClick={() => void store.openCase(c.id)}>Open</button>}
          </li>
        ))}
      </ul>
    </>
  );
}

export function CaseSetup() {
  const ui = useUi();
  const [creating, setCreating] = useState(false);
  if (!ui.caseDetail || creating) {
    return (
      <div className="setup" data-testid="case-setup">
        <NewCaseForm />
        <section className="panel scroll">
          {ui.caseDetail && <button className="btn" onClick={() => setCreating(false)}>Back to the open case</button>}
          {ui.cases.length === 0 ? <div className="empty-note">No cases yet. Create one with a pseudonymous patient id.</div> : <CaseList />}
        </section>
      </div>
    );
  }
  return (
    <div className="setup" data-testid="case-setup">
      <OpenCase onNew={() => setCreating(true)} />
    </div>
  );
}
